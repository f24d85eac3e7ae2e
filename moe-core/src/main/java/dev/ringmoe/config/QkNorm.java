package dev.ringmoe.config;

/** Whether and how attention normalises queries and keys (RMSNorm, before rotary embedding). */
public enum QkNorm {
  /** No q/k norm (Mixtral, Qwen2-MoE). */
  NONE,
  /** One RMSNorm of width {@code head_dim} applied to every head (Qwen3-MoE). */
  PER_HEAD,
  /** One RMSNorm over each token's whole q (and k) projection, before the head split (OLMoE). */
  WHOLE
}
