package dev.ringmoe.model;

/**
 * One layer's attention step, chosen by the decoder from the layer's weights: grouped-query
 * attention ({@link Attention}) or DeepSeek's multi-head latent attention ({@link MlaAttention}).
 * It normalises the residual stream, attends over the {@link KvCache} (appending this pass's
 * entries) and adds its output projection to the residual stream.
 *
 * <p>Implementations own scratch memory and are not thread-safe (one per decoder).
 */
interface AttentionLayer extends AutoCloseable {
  /** Runs the pass's {@code ws.tokens} tokens at the positions after those in {@code cache}. */
  void forward(LayerWeights lw, Workspace ws, KvCache cache);

  /** Frees native scratch memory. */
  @Override
  default void close() {}
}
