package dev.ringmoe.model;

import dev.ringmoe.RingStats;
import java.util.BitSet;
import java.util.Optional;

/**
 * Where a model's weights live: the SPI between the decoder, which computes, and the memory system,
 * which decides what is resident. The decoder asks for a layer's dense weights or one expert just
 * before it computes with them and releases them right after; a store may keep everything resident
 * ({@link ResidentWeightStore}) or stream sections through a bounded ring of device slots (module
 * {@code moe-ring}).
 *
 * <p>Contract: an {@code acquire} returns weights that stay valid until the matching {@code
 * release}; each acquire is matched by exactly one release, in the same thread; the decoder never
 * writes into the arrays. Global weights (embedding, final norm, LM head) are resident for the
 * store's lifetime. Stores are used by one decoding thread at a time; whether they are safe for
 * more is theirs to document. Closing the store frees every array it handed out.
 */
public interface WeightStore extends AutoCloseable {
  /** The embedding, final norm and LM head, resident for the store's lifetime. */
  GlobalWeights globals();

  /** The dense weights of {@code layer}, valid until {@link #releaseLayer}. */
  LayerWeights acquireLayer(int layer);

  void releaseLayer(int layer);

  /** One expert of {@code layer}, valid until {@link #releaseExpert}. */
  ExpertWeights acquireExpert(int layer, int expert);

  void releaseExpert(int layer, int expert);

  /**
   * A forward pass over {@code tokenIds} at {@code position} is starting; {@code embeddings} is the
   * state entering layer 0 ([tokens * hidden], valid during the call). Streaming stores start
   * predictions here.
   */
  default void passStarting(int[] tokenIds, int position, float[] embeddings) {}

  /**
   * A pass over {@code tokenIds} at {@code position} of its own sequence will start later, after
   * the passes already running or queued (a queued request). {@code embeddings} ([tokens * hidden])
   * is the caller's to give away. Streaming stores with a predictor that works from token ids may
   * predict it now; if the next pass started is not this one, the store drops what it predicted for
   * it.
   */
  default void passQueued(int[] tokenIds, int position, float[] embeddings) {}

  /**
   * The router of {@code layer} chose {@code experts} (the union over the pass's tokens); they will
   * be acquired next, in ascending order. {@code hidden} is the residual stream after the layer's
   * attention, entering its MoE block ([tokens * hidden], valid during the call). Streaming stores
   * start every missing load here at once, and may predict the next layer's experts from {@code
   * hidden} so that those copies overlap this layer's expert compute.
   */
  default void routed(int layer, BitSet experts, float[] hidden) {}

  /**
   * {@code layer} is done (its weights released); {@code hidden} is the residual stream after it,
   * entering the next layer ([tokens * hidden], valid during the call).
   */
  default void layerFinished(int layer, float[] hidden) {}

  /** The pass is done. */
  default void passFinished() {}

  /** What the store moved and waited for, if it streams; empty for resident stores. */
  default Optional<RingStats> stats() {
    return Optional.empty();
  }

  /**
   * The most positions one sequence's KV cache may hold under this store's budget ({@link
   * StoreOptions#kvPositions}); unlimited (the model's own maximum applies) unless a store says
   * otherwise.
   */
  default int kvPositions() {
    return Integer.MAX_VALUE;
  }

  /** Zeroes the counters behind {@link #stats()}. */
  default void resetStats() {}

  /** Frees every native array and mapping the store holds. Idempotent. */
  @Override
  void close();
}
