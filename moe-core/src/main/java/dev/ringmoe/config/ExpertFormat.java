package dev.ringmoe.config;

/** How a checkpoint stores the routed experts' matrices. */
public enum ExpertFormat {
  /** Plain floating-point tensors (F32, BF16, F16). */
  DENSE,
  /**
   * MXFP4 blocks and E8M0 scales ({@code quantization_config.quant_method "mxfp4"}, the released
   * gpt-oss checkpoints), decoded exactly to bfloat16 or float32 at load.
   */
  MXFP4
}
