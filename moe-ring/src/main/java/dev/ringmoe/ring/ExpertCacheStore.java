package dev.ringmoe.ring;

import com.google.common.base.Preconditions;
import dev.ringmoe.ByteSizes;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.GlobalWeights;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.model.WeightStore;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link WeightStore} that caches individual experts under the device budget: global weights and
 * every layer's dense weights are resident, and the rest of the budget is a pool of one-expert
 * slots shared by all layers. Only predicted experts are brought in ahead (per layer, the union
 * over the pass's tokens), routed experts that were not predicted are loaded on demand, and a
 * {@link CachePolicy} (LRU by default) picks what to evict. Unlike the layer ring, an expert stays
 * cached across tokens for as long as the policy keeps it.
 *
 * <p>Exact: the router decides what runs and copies reproduce the resident float32 values. One
 * decoding thread at a time; owns its native memory (freed by {@link #close()}), not the {@link
 * Checkpoint}.
 *
 * <p>Failure: a load that failed (its copy threw, or the caller was interrupted before it was
 * queued) is dropped from the cache, at once or when its expert is next looked up, and its slot
 * goes back to the free pool; the expert is loaded again when it is next needed. A call that fails
 * while waiting gives back the use of its slot, so an aborted pass leaves no slot pinned.
 */
public final class ExpertCacheStore implements WeightStore {
  private static final Logger LOG = LoggerFactory.getLogger(ExpertCacheStore.class);
  private static final AtomicInteger CACHES = new AtomicInteger();

  private final ModelConfig config;
  private final DeviceMemory memory;
  private final RingCounters counters = new RingCounters();
  private final GlobalWeights globals;
  private final LayerWeights[] layers;
  private final ExpertSlot[] slots;
  private final Map<Long, ExpertSlot> cached = new HashMap<>();
  private final Deque<ExpertSlot> free = new ArrayDeque<>();
  private final Set<Long> predicted = new HashSet<>();
  private final CachePolicy policy;
  private final Predictions predictions;
  private final SectionCopier copier;
  private final CopyEngine engine;
  private final long residentBytes;
  private final long expertBytes;
  private final HostReservation host;
  private final Owned owned = new Owned();
  private final Object lock = new Object();
  private long passStart;
  private boolean closed;

  private ExpertCacheStore(
      Checkpoint checkpoint,
      ModelConfig config,
      StoreOptions options,
      CachePolicy policy,
      int copyThreads)
      throws IOException {
    this.config = config;
    this.policy = Preconditions.checkNotNull(policy);
    this.predictions = new Predictions(config, options.predictor());
    DataType type = Tensors.weightType(checkpoint, config.manifest());
    long budget = options.deviceBudget(config.weightBytes(type.width()));
    TensorReader reader = ResidentPart.reader(checkpoint, options, owned);
    // One budget: the KV cache and direct I/O's host staging area come out of it before the slots
    // are counted.
    this.host = new HostReservation(config, options, reader.stagingBytes());
    long staging = host.bytes();
    this.expertBytes = type.width() * config.expertParameters();
    this.residentBytes = residentBytes(config, type);
    long total = 0;
    for (int l = 0; l < config.layers(); l++) {
      total += config.manifest().experts(l);
    }
    long slotCount =
        Math.min(
            total,
            budget >= residentBytes + staging
                ? (budget - residentBytes - staging) / expertBytes
                : 0);
    if (slotCount < 1) {
      owned.closeAll(LOG, "the storage reader");
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "a device budget of %s cannot hold the resident weights plus one expert: the minimum for the expert cache"
                  + " is %s (embedding, LM head and every layer's attention and router, %s, plus one expert, %s,"
                  + " plus %s)",
              ByteSizes.format(budget),
              ByteSizes.format(minimumBudget(config, type, staging)),
              ByteSizes.format(residentBytes),
              ByteSizes.format(expertBytes),
              host.describe()));
    }
    this.memory = new DeviceMemory(budget);
    this.layers = new LayerWeights[config.layers()];
    this.slots = new ExpertSlot[(int) slotCount];
    this.copier = new SectionCopier(checkpoint, reader, config, counters);
    host.reserve(memory);
    try {
      globals = ResidentPart.globals(checkpoint, reader, config, type, memory, owned);
      for (int l = 0; l < config.layers(); l++) {
        layers[l] = ResidentPart.layer(checkpoint, reader, config, l, type, memory, owned);
      }
      // the first sparse layer's layout (layer 0 may be dense); no slots when no layer routes
      int[] sparse = config.moeLayers();
      Section expertLayout =
          sparse.length == 0 ? null : WeightManifest.of(config).expert(sparse[0], 0);
      for (int i = 0; i < slots.length; i++) {
        memory.reserve(expertBytes, "expert slot " + i);
        slots[i] = new ExpertSlot(i, expertLayout, type);
        owned.add(slots[i]);
        free.add(slots[i]);
      }
      owned.add(predictions);
      engine =
          new CopyEngine(
              "ringmoe-copy-" + CACHES.incrementAndGet() + "c",
              copyThreads,
              4 * slots.length + 16,
              this::copy);
      owned.add(engine);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    LOG.info(
        "expert cache: {} slots x {} for {} experts, resident {}, budget {}",
        slots.length,
        ByteSizes.format(expertBytes),
        total,
        ByteSizes.format(residentBytes),
        ByteSizes.format(budget));
  }

  /**
   * The smallest budget an expert cache accepts when {@code reservedBytes} of it go to other things
   * first (the KV cache, direct I/O's staging area): the resident weights (embedding, LM head,
   * every layer's dense section) plus one expert slot. A budget one byte smaller is refused.
   *
   * @param type the dtype weights are held in ({@link Tensors#weightType})
   * @param reservedBytes bytes of the budget that are not weights, &gt;= 0
   * @return bytes
   */
  public static long minimumBudget(ModelConfig config, DataType type, long reservedBytes) {
    if (reservedBytes < 0) {
      throw new IllegalArgumentException("reserved bytes must be >= 0, were " + reservedBytes);
    }
    return residentBytes(config, type) + reservedBytes + type.width() * config.expertParameters();
  }

  private static long residentBytes(ModelConfig config, DataType type) {
    return type.width() * config.globalParameters()
        + SectionPlan.residentDenseBytes(config, type.width());
  }

  /**
   * Opens an expert cache with the given eviction policy.
   *
   * @throws IllegalArgumentException if the budget cannot hold the resident weights plus one
   *     expert, naming the minimum
   */
  public static ExpertCacheStore open(
      Checkpoint checkpoint, ModelConfig config, StoreOptions options, CachePolicy policy)
      throws IOException {
    return new ExpertCacheStore(checkpoint, config, options, policy, RingWeightStore.COPY_THREADS);
  }

  /** Expert slots in the pool. */
  public int slots() {
    return slots.length;
  }

  private long key(int layer, int expert) {
    return (long) layer * config.experts() + expert;
  }

  @Override
  public GlobalWeights globals() {
    return globals;
  }

  @Override
  public LayerWeights acquireLayer(int layer) {
    return layers[layer];
  }

  @Override
  public void releaseLayer(int layer) {}

  @Override
  public void passStarting(int[] tokenIds, int position, float[] embeddings) {
    checkOpen();
    passStart = System.nanoTime();
    counters.tokens.addAndGet(tokenIds.length);
    counters.passes.incrementAndGet();
    synchronized (lock) {
      predicted.clear();
      for (ExpertSlot s : slots) {
        // Nothing is acquired between passes; a use left over from an aborted pass would pin the
        // slot forever.
        s.users = 0;
      }
    }
    predictions.passStarting(tokenIds, position, embeddings, l -> layers[l], this::prefetch);
  }

  @Override
  public void passQueued(int[] tokenIds, int position, float[] embeddings) {
    predictions.passQueued(tokenIds, position, embeddings);
  }

  @Override
  public void routed(int layer, BitSet experts, float[] hidden) {
    synchronized (lock) {
      for (int e = experts.nextSetBit(0); e >= 0; e = experts.nextSetBit(e + 1)) {
        long key = key(layer, e);
        ExpertSlot slot = lookup(key);
        if (slot != null) {
          counters.hits.incrementAndGet();
          slot.load.used = true;
        } else {
          counters.misses.incrementAndGet();
          slot = claimSlot(key, true);
          if (slot != null) {
            slot.load.used = true;
            queue(key, slot, true);
          }
        }
      }
    }
    predictions.routed(layer, hidden, l -> layers[l], this::prefetch);
  }

  @Override
  public void layerFinished(int layer, float[] hidden) {
    predictions.poll(this::prefetch);
  }

  /**
   * Queues copies of predicted experts that are not cached, as far as slots can be freed for them.
   */
  private void prefetch(int layer, BitSet experts) {
    synchronized (lock) {
      int routed = config.manifest().experts(layer); // 0 for a dense layer
      for (int e = experts.nextSetBit(0); e >= 0 && e < routed; e = experts.nextSetBit(e + 1)) {
        long key = key(layer, e);
        predicted.add(key);
        if (lookup(key) == null) {
          ExpertSlot slot = claimSlot(key, false);
          if (slot == null) {
            return; // every slot is in use or holds a prediction for this pass
          }
          slot.load.prefetched = true;
          queue(key, slot, false);
        } else {
          policy.predicted(key);
        }
      }
    }
  }

  /**
   * Takes a free slot or evicts one for {@code key} and creates its load (not queued). On demand,
   * experts predicted for this pass may be evicted too; a prefetch never evicts them. Returns null
   * when nothing can be evicted now. Caller holds the lock.
   */
  private ExpertSlot claimSlot(long key, boolean demand) {
    ExpertSlot slot = free.poll();
    if (slot == null) {
      long victim = policy.victim(k -> evictable(k, false));
      if (victim < 0 && demand) {
        victim = policy.victim(k -> evictable(k, true));
      }
      if (victim < 0) {
        return null;
      }
      slot = cached.remove(victim);
      policy.removed(victim);
      if (slot.load.prefetched && !slot.load.used) {
        counters.unused.incrementAndGet();
      }
    }
    slot.assign(key);
    slot.load =
        new Load(
            slot,
            slot.generation(),
            (int) (key / config.experts()),
            (int) (key % config.experts()));
    cached.put(key, slot);
    policy.inserted(key);
    return slot;
  }

  /**
   * The slot caching {@code key}, or null if none does; a slot whose load failed is dropped here
   * (when nobody uses it), so that the expert is claimed and loaded again. Caller holds the lock.
   */
  private ExpertSlot lookup(long key) {
    ExpertSlot slot = cached.get(key);
    if (slot != null && slot.load.failed() && slot.users == 0) {
      drop(key, slot);
      return null;
    }
    return slot;
  }

  /** Removes a slot whose load failed from the cache and makes it free. Caller holds the lock. */
  private void drop(long key, ExpertSlot slot) {
    cached.remove(key);
    policy.removed(key);
    free.addFirst(slot);
  }

  /**
   * Queues a just-claimed slot's load. If queueing fails (the caller was interrupted, or the copy
   * engine is gone), the engine has failed the load: the slot is dropped before the exception
   * propagates, so that the cache never holds a load that nobody will copy. Caller holds the lock.
   */
  private void queue(long key, ExpertSlot slot, boolean demand) {
    try {
      if (demand) {
        engine.demand(slot.load);
      } else {
        engine.prefetch(slot.load);
      }
    } catch (RuntimeException e) {
      if (slot.load.failed() && slot.users == 0) {
        drop(key, slot);
      }
      throw e;
    }
  }

  private boolean evictable(long key, boolean evenPredicted) {
    ExpertSlot s = cached.get(key);
    return s != null
        && s.users == 0
        && s.load.done.isDone()
        && (evenPredicted || !predicted.contains(key));
  }

  @Override
  public ExpertWeights acquireExpert(int layer, int expert) {
    predictions.poll(this::prefetch);
    long key = key(layer, expert);
    while (true) {
      ExpertSlot slot;
      Load load;
      synchronized (lock) {
        checkOpen();
        slot = lookup(key);
        if (slot == null) {
          slot = claimSlot(key, true);
          if (slot != null) {
            slot.load.used = true;
            counters.misses.incrementAndGet();
            queue(key, slot, true);
          }
        }
        if (slot != null) {
          slot.users++;
          policy.used(key);
          load = slot.load;
        } else {
          load = null;
        }
      }
      if (load == null) {
        waitForAnyCopy(); // every slot is busy: one will be free when a copy completes
        continue;
      }
      try {
        await(load);
      } catch (RuntimeException | Error e) {
        // No release follows a failed acquire: give the use back, and drop a load that failed.
        synchronized (lock) {
          slot.users--;
          lookup(key);
        }
        throw e;
      }
      return slot.weights;
    }
  }

  @Override
  public void releaseExpert(int layer, int expert) {
    synchronized (lock) {
      ExpertSlot slot = cached.get(key(layer, expert));
      if (slot == null || slot.users <= 0) {
        throw new IllegalStateException(
            "expert " + expert + " of layer " + layer + " released but not acquired");
      }
      slot.users--;
    }
  }

  @Override
  public void passFinished() {
    counters.computeNanos.addAndGet(System.nanoTime() - passStart);
    predictions.passFinished();
  }

  private void waitForAnyCopy() {
    long start = System.nanoTime();
    try {
      Thread.sleep(1);
      engine.checkAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RingException("interrupted while waiting for an expert slot", e);
    } finally {
      counters.stallNanos.addAndGet(System.nanoTime() - start);
    }
  }

  private void await(Load load) {
    load.await(engine, counters.stallNanos);
  }

  private void copy(Load load) {
    ExpertSlot slot = (ExpertSlot) load.slot;
    copier.copyExpert(load.layer, load.section, slot.memory, 0, slot.weights);
  }

  @Override
  public int kvPositions() {
    return host.kvPositions();
  }

  @Override
  public Optional<RingStats> stats() {
    return Optional.of(counters.snapshot(memory, residentBytes, slots.length, expertBytes));
  }

  @Override
  public void resetStats() {
    counters.reset();
  }

  private void checkOpen() {
    if (closed) {
      throw new RingException("the expert cache is closed");
    }
  }

  /** Whether close() freed every slot (for tests). */
  boolean released() {
    return closed
        && java.util.Arrays.stream(slots).allMatch(s -> s == null || s.memory.wasClosed());
  }

  @Override
  public synchronized void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    owned.closeAll(LOG, "expert cache memory");
  }
}
