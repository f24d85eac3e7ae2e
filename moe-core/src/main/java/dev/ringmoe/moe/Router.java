package dev.ringmoe.moe;

/**
 * The gate of a sparse MoE layer: from each token's router logits (the router's linear layer
 * applied to the normalised hidden state) it chooses {@link #topK()} of {@link #experts()} experts
 * and their combine weights.
 *
 * <p>Families differ only here: softmax then top-k with or without renormalisation (Mixtral, Qwen,
 * OLMoE; {@link #softmaxTopK}), and, with the same interface, top-k then softmax, sigmoid scores
 * with a correction bias, group-limited top-k or a routed scaling factor. Every implementation
 * ranks with {@link dev.ringmoe.tensor.VectorMath}'s one ordering rule (ties to the lower expert
 * id, NaN last), so it always chooses {@code k} distinct valid experts.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface Router {
  int experts();

  int topK();

  /**
   * Chooses experts for {@code routing.tokens()} tokens from {@code logits} ([tokens, experts],
   * row-major) into {@code routing}.
   */
  void route(float[] logits, Routing routing);

  /**
   * Softmax over all experts, the top {@code k} probabilities, divided by their sum when {@code
   * renormalise} (the {@code norm_topk_prob} of Hugging Face's configs).
   */
  static Router softmaxTopK(int experts, int k, boolean renormalise) {
    return new SoftmaxTopKRouter(experts, k, renormalise);
  }

  /**
   * The top {@code k} logits, then a softmax over those {@code k} only (gpt-oss's {@code
   * GptOssTopKRouter}).
   */
  static Router topKSoftmax(int experts, int k) {
    return new TopKSoftmaxRouter(experts, k);
  }
}
