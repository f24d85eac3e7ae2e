package dev.ringmoe.config;

/**
 * How a router's logits become expert weights: a softmax over all experts and the top k, the kept
 * probabilities renormalised to sum to one or not; or the top k logits, then a softmax over those k
 * (gpt-oss).
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
  /** gpt-oss: the top k logits, then a softmax over those k only. */
  TOPK_SOFTMAX
}
