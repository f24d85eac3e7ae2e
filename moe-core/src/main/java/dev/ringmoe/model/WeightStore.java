package dev.ringmoe.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a model's weights live: the SPI between the decoder, which computes, and the memory system, which decides
 * what is resident. The decoder asks for a layer's dense weights or one expert just before it computes with them and
 * releases them right after; a store may keep everything resident ({@link ResidentWeightStore}) or stream sections
 * through a bounded ring of device slots (module {@code moe-ring}).
 *
 * <p>Contract: an {@code acquire} returns weights that stay valid until the matching {@code release}; each acquire
 * is matched by exactly one release, in the same thread; the decoder never writes into the arrays. Global weights
 * (embedding, final norm, LM head) are resident for the store's lifetime. Stores are used by one decoding thread at
 * a time; whether they are safe for more is theirs to document. Closing the store frees every array it handed out.
 */
public interface WeightStore extends AutoCloseable {
  /** Token embedding, float32 [vocab, hidden]. */
  INDArray embedding();

  /** The final RMSNorm weight, [hidden]. */
  float[] finalNorm();

  /** The LM head, float32 [vocab, hidden]. */
  INDArray lmHead();

  /** The dense weights of {@code layer}, valid until {@link #releaseLayer}. */
  LayerWeights acquireLayer(int layer);

  void releaseLayer(int layer);

  /** One expert of {@code layer}, valid until {@link #releaseExpert}. */
  ExpertWeights acquireExpert(int layer, int expert);

  void releaseExpert(int layer, int expert);

  /** Frees every native array and mapping the store holds. Idempotent. */
  @Override
  void close();
}
