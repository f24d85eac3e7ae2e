package dev.ringmoe.moe;

/**
 * The gate of a sparse MoE layer: from each token's router logits (the router's linear layer
 * applied to the normalised hidden state) it chooses {@link #topK()} of {@link #experts()} experts
 * and their combine weights.
 *
 * <p>Families differ only here: softmax then top-k with or without renormalisation (Mixtral, Qwen,
 * OLMoE; {@link #softmaxTopK}), DeepSeek's group-limited gates with a routed scaling factor ({@link
 * #deepseekV2}, and {@link #deepseekV3} with sigmoid scores and a correction bias), and, with the
 * same interface, top-k then softmax. Every implementation ranks with {@link
 * dev.ringmoe.tensor.VectorMath}'s one ordering rule (ties to the lower expert id, NaN last), so it
 * always chooses {@code k} distinct valid experts.
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
   * DeepSeek-V2's gate (Hugging Face's {@code DeepseekV2Moe}): softmax over all experts; when
   * {@code topkGroup < groups}, only the experts of the {@code topkGroup} groups with the best
   * maximum ({@code group_limited_greedy}); top-{@code k}; weights the probabilities times {@code
   * scaling}, not renormalised.
   */
  static Router deepseekV2(int experts, int k, int groups, int topkGroup, double scaling) {
    return new GroupLimitedRouter(false, experts, k, groups, topkGroup, false, scaling, null);
  }

  /**
   * DeepSeek-V3's gate (Hugging Face's {@code DeepseekV3TopkRouter}): sigmoid scores; {@code bias}
   * ([experts], copied; {@code null} for none) added for the choice only; the {@code topkGroup}
   * groups with the best sum of their two best biased scores; top-{@code k}; weights the un-biased
   * scores, renormalised when {@code renormalise}, times {@code scaling}.
   */
  static Router deepseekV3(
      int experts,
      int k,
      int groups,
      int topkGroup,
      boolean renormalise,
      double scaling,
      float[] bias) {
    return new GroupLimitedRouter(true, experts, k, groups, topkGroup, renormalise, scaling, bias);
  }

  /**
   * The top {@code k} logits, then a softmax over those {@code k} only (gpt-oss's {@code
   * GptOssTopKRouter}).
   */
  static Router topKSoftmax(int experts, int k) {
    return new TopKSoftmaxRouter(experts, k);
  }
}
