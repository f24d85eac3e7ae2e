package dev.ringmoe.config;

/**
 * How a router's logits become expert weights. Both take a softmax over all experts and keep the
 * top k; they differ in whether the kept probabilities are renormalised to sum to one.
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
  SOFTMAX_TOPK
}
