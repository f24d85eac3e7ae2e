package dev.ringmoe.ring;

import dev.ringmoe.Prefetch;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.GlobalWeights;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.model.WeightStore;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link WeightStore} that keeps the model under a hard device memory budget: the global weights
 * (and every layer's dense weights when they fit) are resident, and the rest streams through a
 * {@link SectionRing} of K slots. The checkpoint's files are the storage tier; copies convert into
 * float32 slots on the ring's copy thread.
 *
 * <p>Outputs are exact: the router decides which experts run, copies reproduce the resident float32
 * values bit for bit, and a mispredicted expert is loaded on demand. Used by one decoding thread at
 * a time. Owns its native memory (freed by {@link #close()}); does not own the {@link Checkpoint}.
 */
public final class RingWeightStore implements WeightStore {
  private static final Logger LOG = LoggerFactory.getLogger(RingWeightStore.class);

  /** Copy threads: two by default, so that synchronous loads use both cores while compute waits. */
  static final int COPY_THREADS =
      Math.max(
          1,
          Integer.getInteger(
              "ringmoe.copyThreads", Math.min(2, Runtime.getRuntime().availableProcessors())));

  private final ModelConfig config;
  private final SectionPlan plan;
  private final DeviceMemory memory;
  private final RingCounters counters = new RingCounters();
  private final GlobalWeights globals;
  private final LayerWeights[] residentLayers;
  private final SectionRing ring;
  private final Predictions predictions;
  private final boolean wholeLayers;
  private final HostReservation host;
  private final Owned owned = new Owned();
  private final List<INDArray> nativeArrays = new ArrayList<>();
  private long passStart;
  private boolean closed;

  private RingWeightStore(Checkpoint checkpoint, ModelConfig config, StoreOptions options)
      throws IOException {
    this.config = config;
    DataType type = Tensors.weightType(checkpoint, config.manifest());
    long budget = options.deviceBudget(config.weightBytes(type.width()));
    TensorReader reader = ResidentPart.reader(checkpoint, options, owned);
    // One budget: the KV cache and direct I/O's host staging area come out of it before the slots
    // are planned.
    this.host = new HostReservation(config, options, reader.stagingBytes());
    try {
      this.plan = SectionPlan.plan(config, type, budget, options.slots(), host);
    } catch (RuntimeException e) {
      owned.closeAll(LOG, "the storage reader");
      throw e;
    }
    this.memory = new DeviceMemory(budget);
    host.reserve(memory);
    this.wholeLayers = options.prefetch() == Prefetch.ALL;
    this.predictions = new Predictions(config, wholeLayers ? null : options.predictor());
    try {
      globals = ResidentPart.globals(checkpoint, reader, config, type, memory, owned);
      nativeArrays.addAll(globals.arrays());
      residentLayers = new LayerWeights[config.layers()];
      if (plan.denseResident()) {
        for (int l = 0; l < config.layers(); l++) {
          residentLayers[l] =
              ResidentPart.layer(checkpoint, reader, config, l, type, memory, owned);
          nativeArrays.addAll(residentLayers[l].arrays());
        }
      }
      ring = new SectionRing(plan, checkpoint, reader, counters, memory, COPY_THREADS);
      owned.add(ring);
      owned.add(predictions);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    if (wholeLayers) {
      for (int l = 0; l < plan.slots(); l++) {
        ring.prefetch(l, allExperts(l));
      }
    }
    LOG.info("{}; prefetch {}", plan.describe(), options.prefetch());
  }

  /**
   * Opens a ring store.
   *
   * @throws IllegalArgumentException if the budget cannot hold the resident weights plus one slot,
   *     naming the minimum
   */
  public static RingWeightStore open(
      Checkpoint checkpoint, ModelConfig config, StoreOptions options) throws IOException {
    return new RingWeightStore(checkpoint, config, options);
  }

  /** The plan this store runs: what is resident, K and the slot size. */
  public SectionPlan plan() {
    return plan;
  }

  private BitSet allExperts(int layer) {
    BitSet all = new BitSet();
    all.set(0, config.manifest().experts(layer));
    return all;
  }

  @Override
  public GlobalWeights globals() {
    return globals;
  }

  @Override
  public void passStarting(int[] tokenIds, int position, float[] embeddings) {
    if (ring.beginPass() && wholeLayers) {
      // The previous pass was aborted and the ring reset: queue the first slots' layers again, as
      // at open.
      for (int l = 0; l < plan.slots(); l++) {
        ring.prefetch(l, allExperts(l));
      }
    }
    passStart = System.nanoTime();
    counters.tokens.addAndGet(tokenIds.length);
    counters.passes.incrementAndGet();
    predictions.passStarting(tokenIds, position, embeddings, this::denseIfPresent, ring::prefetch);
  }

  @Override
  public void passQueued(int[] tokenIds, int position, float[] embeddings) {
    predictions.passQueued(tokenIds, position, embeddings);
  }

  @Override
  public LayerWeights acquireLayer(int layer) {
    LayerWeights streamed = ring.acquireDense(layer);
    return streamed != null ? streamed : residentLayers[layer];
  }

  @Override
  public void releaseLayer(int layer) {
    ring.release(layer);
  }

  @Override
  public void routed(int layer, BitSet experts, float[] hidden) {
    ring.demand(layer, experts);
    predictions.routed(layer, hidden, this::denseIfPresent, ring::prefetch);
  }

  @Override
  public ExpertWeights acquireExpert(int layer, int expert) {
    predictions.poll(ring::prefetch);
    return ring.acquireExpert(layer, expert);
  }

  @Override
  public void releaseExpert(int layer, int expert) {
    ring.release(layer);
  }

  @Override
  public void layerFinished(int layer, float[] hidden) {
    int assigned = ring.finished(layer);
    if (wholeLayers && assigned != layer) {
      ring.prefetch(assigned, allExperts(assigned));
    }
    predictions.poll(ring::prefetch);
    BitSet known = assigned > layer ? predictions.predicted(assigned) : null;
    if (known != null) {
      ring.prefetch(assigned, known); // predicted before the layer had a slot
    }
  }

  /**
   * A layer's dense weights for a predictor that reads the router: resident, or already in its
   * slot, or null.
   */
  private LayerWeights denseIfPresent(int layer) {
    return plan.denseResident() ? residentLayers[layer] : ring.peekDense(layer);
  }

  @Override
  public void passFinished() {
    counters.computeNanos.addAndGet(System.nanoTime() - passStart);
    predictions.passFinished();
  }

  @Override
  public int kvPositions() {
    return host.kvPositions();
  }

  @Override
  public Optional<RingStats> stats() {
    return Optional.of(counters.snapshot(plan, memory));
  }

  @Override
  public void resetStats() {
    counters.reset();
  }

  /** Whether close() freed every native array the store allocated (for tests). */
  synchronized boolean released() {
    return closed && ring.released() && nativeArrays.stream().allMatch(INDArray::wasClosed);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    owned.closeAll(LOG, "ring memory");
  }
}
