package dev.ringmoe.config;

/**
 * How a router's logits become expert weights. The first two take a softmax over all experts and
 * keep the top k; they differ in whether the kept probabilities are renormalised to sum to one. The
 * group-limited kinds are DeepSeek's, with their parameters in {@link GroupRouting}; {@link
 * #TOPK_SOFTMAX} takes the top k logits, then a softmax over those k (gpt-oss).
 */
public enum GateKind {
  /**
   * Mixtral, OLMoE with {@code norm_topk_prob}: softmax, top-k, divide by the sum of the kept
   * probabilities.
   */
  SOFTMAX_TOPK_RENORMALISED,
  /**
   * Qwen2-MoE, DeepSeek-MoE without {@code norm_topk_prob}: softmax, top-k, probabilities used as
   * they are.
   */
  SOFTMAX_TOPK,
  /**
   * DeepSeek-V2 ({@code topk_method} {@code greedy} or {@code group_limited_greedy}): softmax over
   * all experts; with more than one group, the groups ranked by their best probability and the
   * experts outside the best {@code topk_group} groups set to 0; top-k; weights times {@code
   * routed_scaling_factor}, never renormalised (Hugging Face ignores {@code norm_topk_prob} here).
   */
  SOFTMAX_GROUP_LIMITED,
  /**
   * DeepSeek-V3 ({@code noaux_tc}): sigmoid scores; the layer's {@code e_score_correction_bias}
   * added for the choice only; groups ranked by the sum of their two best biased scores, the
   * experts outside the best {@code topk_group} groups set to 0 (Hugging Face's fill, not minus
   * infinity); top-k of the biased scores; weights the un-biased scores, renormalised when {@code
   * norm_topk_prob}, times {@code routed_scaling_factor}.
   */
  SIGMOID_GROUP_LIMITED,
  /** gpt-oss: the top k logits, then a softmax over those k only. */
  TOPK_SOFTMAX
}
