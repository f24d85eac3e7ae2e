package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.LayerWeights;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SE-MoE's ring memory: K fixed slots through which the layers' streamed sections pass in order,
 * with calculation-released-load. The first K layers are assigned to the slots at start; when layer
 * {@code l} finishes, its slot is released and immediately assigned to layer {@code (l + K) mod L}
 * (wrapping to the next token's first layers), whose dense section (when dense sections stream) is
 * queued for copying at once; experts are queued when a predictor expects them or when the router
 * demands them. Compute waits only for the loads it needs; a copy into a slot only starts after the
 * compute that last used that slot released it.
 *
 * <p>An encoder-decoder's layers (encoder first) run in the order encoder, decoder, decoder, ...:
 * after the last layer the order wraps to the decoder's first layer, a freed slot goes to the first
 * coming layer without one, and a new sequence's encoder pass reassigns the slots from layer 0 on
 * (keeping those that hold one of its first layers).
 *
 * <p>Used by one compute thread at a time plus the ring's own copy thread; all slot bookkeeping is
 * under one lock. Closing stops the copy thread and frees the slots.
 *
 * <p>Failure: a pass that ends with an exception (a failed copy, an interrupted wait or queueing)
 * leaves the ring as it was at that point; the next {@link #beginPass()} reassigns every slot as at
 * start, after any copy still writing into a slot has finished, so nothing of the aborted pass is
 * served or overwritten. A load that failed is never served: it is replaced by a new load when its
 * section is needed again.
 */
public final class SectionRing implements AutoCloseable {
  private static final AtomicInteger RINGS = new AtomicInteger();

  private final SectionPlan plan;
  private final ModelConfig config;
  private final SectionCopier copier;
  private final RingCounters counters;
  private final DeviceMemory memory;
  private final Slot[] slots;
  private final int[] slotOfLayer;
  private final CopyEngine engine;
  private final Object lock = new Object();

  /** The layer the next acquire must be for. */
  private int expectedLayer;

  /**
   * Where the layer order wraps after the last layer: 0 for a decoder-only model; for an
   * encoder-decoder, the decoder's first layer, since each decoding step runs the decoder again
   * while the encoder runs once per sequence.
   */
  private final int cycleStart;

  /** The encoder's layer count in an encoder-decoder (its passes end there), else 0. */
  private final int encoderLayers;

  /** A pass began and has acquired no layer yet: its first layer may start a new cycle. */
  private boolean atPassStart;

  /**
   * A pass began and its last layer has not finished: if the next pass begins now, this one was
   * aborted.
   */
  private boolean passOpen;

  private boolean closed;

  SectionRing(
      SectionPlan plan,
      Checkpoint checkpoint,
      TensorReader reader,
      RingCounters counters,
      DeviceMemory memory,
      int copyThreads) {
    this.plan = plan;
    this.config = plan.config();
    this.copier = new SectionCopier(checkpoint, reader, plan.config(), counters);
    this.counters = counters;
    this.memory = memory;
    this.slots = new Slot[plan.slots()];
    this.slotOfLayer = new int[config.layers()];
    this.encoderLayers =
        config.encoderDecoder() == null ? 0 : config.encoderDecoder().encoderLayers();
    this.cycleStart = encoderLayers;
    try {
      for (int i = 0; i < slots.length; i++) {
        memory.reserve(plan.slotBytes(), "ring slot " + i);
        slots[i] = new Slot(i, plan);
      }
    } catch (RuntimeException e) {
      freeSlots();
      throw e;
    }
    int capacity = 4 * slots.length * (config.experts() + 1) + 16;
    this.engine =
        new CopyEngine(
            "ringmoe-copy-" + RINGS.incrementAndGet(), copyThreads, capacity, this::copy);
    synchronized (lock) {
      restart();
    }
  }

  public SectionPlan plan() {
    return plan;
  }

  /**
   * Puts layers 0..K-1 into the slots, as before the first pass, with new loads even where a slot
   * holds its layer already (its loads may be from an aborted pass). Caller holds the lock.
   */
  private void restart() {
    Arrays.fill(slotOfLayer, -1);
    int layer = 0;
    for (int i = 0; i < slots.length; i++) {
      assign(slots[i], layer, true);
      layer = next(layer);
    }
    expectedLayer = 0;
  }

  /** The layer after {@code layer} in the order the passes run them. */
  private int next(int layer) {
    return layer + 1 < config.layers() ? layer + 1 : cycleStart;
  }

  /**
   * An encoder-decoder's pass starts at {@code first} (a new sequence's encoder pass after the
   * decoder's steps): the slots take the layers from {@code first} on, keeping the contents of
   * those that already hold one of them. Caller holds the lock; no slot is in use.
   */
  private void jump(int first) {
    int[] targets = new int[slots.length];
    boolean[] wanted = new boolean[config.layers()];
    int layer = first;
    for (int i = 0; i < slots.length; i++) {
      targets[i] = layer;
      wanted[layer] = true;
      layer = next(layer);
    }
    java.util.ArrayDeque<Slot> reusable = new java.util.ArrayDeque<>();
    for (Slot slot : slots) {
      if (slot.layer < 0 || !wanted[slot.layer] || slotOfLayer[slot.layer] != slot.index) {
        reusable.add(slot);
      }
    }
    for (int target : targets) {
      if (slotOfLayer[target] < 0 || slots[slotOfLayer[target]].layer != target) {
        assign(reusable.remove(), target, false);
      }
    }
    expectedLayer = first;
  }

  /**
   * The layer a slot freed by {@code layer} should hold next: the first coming layer that has no
   * slot, or {@code layer} itself when every layer until it comes round again has one.
   */
  private int nextUnassigned(int layer) {
    int l = next(layer);
    for (int step = 0; step < config.layers() && l != layer; step++) {
      if (slotOfLayer[l] < 0) {
        return l;
      }
      l = next(l);
    }
    return layer;
  }

  /**
   * Called before a pass: if the previous pass did not finish (a failure or an interrupt mid-pass),
   * every slot is reassigned as at start, so the ring never serves a layer from a half-used slot.
   *
   * @return whether the ring was reset (its slots hold new, unqueued-ahead assignments)
   * @throws RingException if the ring is closed, or the reset was interrupted while queueing (the
   *     next call resets again)
   */
  boolean beginPass() {
    synchronized (lock) {
      checkOpen();
      boolean reset = passOpen || Arrays.stream(slots).anyMatch(s -> s.users != 0);
      // Open before resetting: a reset that fails part-way must be redone by the next pass.
      passOpen = true;
      atPassStart = true;
      if (reset) {
        for (Slot s : slots) {
          s.users = 0;
        }
        restart();
      }
      return reset;
    }
  }

  private void assign(Slot slot, int layer, boolean fresh) {
    if (slot.layer >= 0 && slot.layer != layer) {
      slotOfLayer[slot.layer] = -1;
      countUnused(slot);
    }
    if (!fresh && slot.layer == layer && slot.expertLoads != null) {
      slotOfLayer[layer] = slot.index;
      return; // every layer has its own slot: the contents stay valid
    }
    Load[] previous = slot.expertLoads;
    Load previousDense = slot.denseLoad;
    // Make the old loads stale first, then wait for those a copy thread had already started: a copy
    // thread claims a
    // load before checking that it is current, so any load not claimed by now will see the new
    // generation and skip.
    slot.assign(layer, config.experts());
    if (previous != null) {
      for (Load l : previous) {
        if (l != null && l.inFlight()) {
          awaitQuietly(l);
        }
      }
    }
    if (previousDense != null && previousDense.inFlight()) {
      awaitQuietly(previousDense);
    }
    slotOfLayer[layer] = slot.index;
    if (!plan.denseResident()) {
      slot.denseLoad = new Load(slot, slot.generation(), layer, Load.DENSE);
      slot.denseLoad.prefetched = true;
      engine.prefetch(slot.denseLoad);
    }
  }

  private void countUnused(Slot slot) {
    for (Load l : slot.expertLoads) {
      if (l != null && l.prefetched && !l.used) {
        counters.unused.incrementAndGet();
      }
    }
  }

  private Slot slotOf(int layer) {
    int index = slotOfLayer[layer];
    if (index < 0) {
      throw new IllegalStateException(
          "layer " + layer + " has no ring slot: layers must run in order");
    }
    return slots[index];
  }

  /**
   * Queues copies of {@code experts} of {@code layer} ahead of need, if its slot is assigned
   * already.
   */
  void prefetch(int layer, BitSet experts) {
    synchronized (lock) {
      checkOpen();
      int index = slotOfLayer[layer];
      if (index < 0) {
        return;
      }
      Slot slot = slots[index];
      int routed = config.manifest().experts(layer); // 0 for a dense layer
      for (int e = experts.nextSetBit(0); e >= 0 && e < routed; e = experts.nextSetBit(e + 1)) {
        if (!usable(slot.expertLoads[e])) {
          Load load = new Load(slot, slot.generation(), layer, e);
          load.prefetched = true;
          slot.expertLoads[e] = load;
          engine.prefetch(load);
        }
      }
    }
  }

  /**
   * The router chose {@code experts} of {@code layer}: queues every one not yet loaded or loading
   * at the front of the copy queue, and counts prefetch hits and misses.
   */
  void demand(int layer, BitSet experts) {
    synchronized (lock) {
      checkOpen();
      Slot slot = slotOf(layer);
      for (int e = experts.nextSetBit(0); e >= 0; e = experts.nextSetBit(e + 1)) {
        Load load = slot.expertLoads[e];
        if (!usable(load)) {
          load = new Load(slot, slot.generation(), layer, e);
          slot.expertLoads[e] = load;
          counters.misses.incrementAndGet();
          engine.demand(load);
        } else {
          counters.hits.incrementAndGet();
          if (!load.queued()) {
            engine.demand(load); // still waiting behind prefetches: move it up
          }
        }
        load.used = true;
      }
    }
  }

  /**
   * Enters {@code layer}: marks its slot in use and, when dense sections stream, waits for the
   * dense section.
   *
   * @return the slot's dense weights, or {@code null} when dense weights are resident
   */
  LayerWeights acquireDense(int layer) {
    Load load;
    Slot slot;
    synchronized (lock) {
      checkOpen();
      if (layer != expectedLayer) {
        boolean cycleFirst = encoderLayers > 0 && (layer == 0 || layer == cycleStart);
        if (!atPassStart || !cycleFirst) {
          throw new IllegalStateException(
              "layer " + layer + " acquired, but the ring expects layer " + expectedLayer);
        }
        jump(layer);
      }
      atPassStart = false;
      slot = slotOf(layer);
      load = slot.denseLoad;
      if (load != null && load.failed()) {
        // Failed or never queued (an earlier pass was interrupted while queueing it): load it
        // again.
        load = new Load(slot, slot.generation(), layer, Load.DENSE);
        slot.denseLoad = load;
        engine.demand(load);
      }
      slot.users++;
    }
    if (load == null) {
      return null;
    }
    awaitUsing(slot, load);
    return slot.dense(layer);
  }

  /**
   * The streamed dense weights of {@code layer} if its slot holds them already; {@code null}
   * otherwise (never waits: a prediction is not worth a stall).
   */
  LayerWeights peekDense(int layer) {
    synchronized (lock) {
      int index = slotOfLayer[layer];
      if (index < 0 || plan.denseResident()) {
        return null;
      }
      Slot slot = slots[index];
      Load load = slot.denseLoad;
      return load != null && load.done.isDone() && !load.done.isCompletedExceptionally()
          ? slot.dense(layer)
          : null;
    }
  }

  /** Waits for one routed expert of the current layer and marks it in use. */
  ExpertWeights acquireExpert(int layer, int expert) {
    Load load;
    Slot slot;
    synchronized (lock) {
      checkOpen();
      slot = slotOf(layer);
      load = slot.expertLoads[expert];
      if (!usable(load)) {
        // Not announced through demand(): load it now.
        load = new Load(slot, slot.generation(), layer, expert);
        load.used = true;
        slot.expertLoads[expert] = load;
        counters.misses.incrementAndGet();
        engine.demand(load);
      }
      slot.users++;
    }
    awaitUsing(slot, load);
    return slot.experts[expert];
  }

  /** Releases one acquisition (dense or expert) of {@code layer}'s slot. */
  void release(int layer) {
    synchronized (lock) {
      Slot slot = slotOf(layer);
      if (slot.users <= 0) {
        throw new IllegalStateException("layer " + layer + " released more often than acquired");
      }
      slot.users--;
    }
  }

  /**
   * {@code layer} is done: its slot is released and assigned to the layer K ahead
   * (calculation-released-load).
   *
   * @return the layer now assigned to the freed slot
   */
  int finished(int layer) {
    synchronized (lock) {
      checkOpen();
      Slot slot = slotOf(layer);
      if (slot.users != 0) {
        throw new IllegalStateException(
            "layer " + layer + " finished with " + slot.users + " weights still in use");
      }
      // the layer K ahead, as SE-MoE's ring has it (for a decoder-only model (layer + K) mod L)
      int next = nextUnassigned(layer);
      assign(slot, next, false);
      expectedLayer = next(layer);
      if (layer == config.layers() - 1 || layer == encoderLayers - 1) {
        passOpen = false;
      }
      return next;
    }
  }

  /** A load that holds, or will hold, its section: not missing and not failed. */
  private static boolean usable(Load load) {
    return load != null && !load.failed();
  }

  /**
   * Waits for a load of a slot this thread has just marked in use; if the wait fails (the copy
   * failed, or the thread was interrupted), the use is given back before the exception propagates,
   * since no release will follow.
   */
  private void awaitUsing(Slot slot, Load load) {
    try {
      load.await(engine, counters.stallNanos);
    } catch (RuntimeException | Error e) {
      synchronized (lock) {
        if (slot.users > 0) {
          slot.users--;
        }
      }
      throw e;
    }
  }

  /**
   * Waits until a stale load's copy, already running, has stopped writing. Not interruptible:
   * returning early would let a later copy into the slot race with this one, and the copy is short
   * and bounded (a dead copy thread is reported instead). An interrupt that arrives meanwhile is
   * kept for the caller's next wait.
   */
  private void awaitQuietly(Load load) {
    long start = System.nanoTime();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          load.done.get(50, TimeUnit.MILLISECONDS);
          return;
        } catch (ExecutionException | CancellationException e) {
          return; // a stale copy's outcome does not matter, only that it no longer writes
        } catch (TimeoutException e) {
          engine.checkAlive();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      counters.stallNanos.addAndGet(System.nanoTime() - start);
    }
  }

  /**
   * The copy thread's work: reads the section's tensors from the checkpoint, as float32, into the
   * slot.
   */
  private void copy(Load load) {
    Slot slot = (Slot) load.slot;
    if (load.section == Load.DENSE) {
      copier.copyDense(load.layer, slot.memory, slot.dense(load.layer));
    } else {
      copier.copyExpert(
          load.layer,
          load.section,
          slot.memory,
          slot.expertOffsets[load.section],
          slot.experts[load.section]);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new RingException("the weight ring is closed");
    }
  }

  private void freeSlots() {
    for (Slot s : slots) {
      if (s != null) {
        s.close();
        memory.release(plan.slotBytes());
      }
    }
  }

  /** Whether every slot's native memory has been freed (for tests of {@link #close()}). */
  boolean released() {
    return Arrays.stream(slots).allMatch(s -> s == null || s.memory.wasClosed());
  }

  /** Stops the copy thread (after its current copy) and frees the slots. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    engine.close();
    freeSlots();
  }
}
