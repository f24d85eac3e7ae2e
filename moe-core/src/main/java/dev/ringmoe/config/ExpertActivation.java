package dev.ringmoe.config;

/** The gated activation between an expert's gate/up and down projections. */
public enum ExpertActivation {
  /** {@code silu(gate) * up} (Mixtral, Qwen-MoE, OLMoE). */
  SWIGLU,
  /**
   * gpt-oss's clamped SwiGLU: {@code gate = min(gate, limit)}, {@code up = clamp(up, -limit,
   * limit)}, {@code (up + 1) * gate * sigmoid(1.702 * gate)}, with {@link
   * ModelConfig#swigluLimit()} as the limit.
   */
  CLAMPED_SWIGLU
}
