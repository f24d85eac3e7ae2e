package dev.ringmoe.model;

/**
 * Observes a forward pass's routing: the hidden state entering the first layer and every MoE
 * layer's raw router logits. Routing traces and predictor training are built on it.
 *
 * <p>Called on the decoding thread; arrays are shared with the decoder and valid only during the
 * call.
 */
public interface RoutingListener {
  /** The embeddings of the pass's tokens, row-major [tokens * hidden]. */
  default void embeddings(int[] tokenIds, int position, float[] embeddings) {}

  /**
   * The residual stream of every token after layer {@code layer}'s attention, entering its MoE
   * block, row-major [tokens * hidden] (what next-layer gate lookahead applies the next router to).
   */
  default void hiddenBeforeMoe(int layer, int tokens, float[] hidden) {}

  /**
   * Layer {@code layer}'s router logits for every token of the pass, row-major [tokens * experts].
   */
  void routerLogits(int layer, int tokens, float[] logits);
}
