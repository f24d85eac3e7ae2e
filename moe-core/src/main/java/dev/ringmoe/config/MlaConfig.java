package dev.ringmoe.config;

/**
 * The shape of DeepSeek's multi-head latent attention (MLA): queries from the hidden state directly
 * ({@code qLoraRank} 0) or through a rank-{@code qLoraRank} bottleneck with an RMSNorm; keys and
 * values from one compressed vector of {@code kvLoraRank} entries per token (RMS-normalised, then
 * expanded per head into {@code qkNopeHeadDim} key and {@code vHeadDim} value entries) plus a
 * {@code qkRopeHeadDim}-wide rotary key part shared by all heads. Each query head is {@code
 * qkNopeHeadDim + qkRopeHeadDim} wide; rotary embedding acts on its last {@code qkRopeHeadDim}
 * entries only.
 *
 * <p>Immutable and thread-safe.
 *
 * @param qLoraRank {@code q_lora_rank}, 0 when null (no query compression)
 * @param kvLoraRank {@code kv_lora_rank}
 * @param qkNopeHeadDim {@code qk_nope_head_dim}
 * @param qkRopeHeadDim {@code qk_rope_head_dim} (even)
 * @param vHeadDim {@code v_head_dim}
 * @param interleavedRope whether the rotary pairs are adjacent entries ({@code (x0, x1), (x2, x3)},
 *     DeepSeek's complex rotation and Hugging Face's {@code rope_interleave}) rather than {@code
 *     (x_i, x_{i + d/2})}
 * @param yarnSoftmaxScale whether YaRN's {@code mscale(factor, mscale_all_dim)^2} (when the config
 *     has YaRN scaling with a non-zero {@code mscale_all_dim}) multiplies the attention softmax
 *     scale {@code 1/sqrt(qkNopeHeadDim + qkRopeHeadDim)}: true for Hugging Face's DeepSeek-V3,
 *     false for its DeepSeek-V2, which never applies it
 */
public record MlaConfig(
    int qLoraRank,
    int kvLoraRank,
    int qkNopeHeadDim,
    int qkRopeHeadDim,
    int vHeadDim,
    boolean interleavedRope,
    boolean yarnSoftmaxScale) {

  /**
   * @throws IllegalArgumentException naming the field when a width is out of range
   */
  public MlaConfig {
    check(qLoraRank >= 0, "q_lora_rank must be positive or null, was " + qLoraRank);
    check(kvLoraRank > 0, "kv_lora_rank must be positive, was " + kvLoraRank);
    check(qkNopeHeadDim >= 0, "qk_nope_head_dim must not be negative, was " + qkNopeHeadDim);
    check(
        qkRopeHeadDim > 0 && qkRopeHeadDim % 2 == 0,
        "qk_rope_head_dim must be positive and even, was " + qkRopeHeadDim);
    check(vHeadDim > 0, "v_head_dim must be positive, was " + vHeadDim);
    check(
        (long) kvLoraRank + qkRopeHeadDim <= Integer.MAX_VALUE / 4,
        "kv_lora_rank + qk_rope_head_dim is too large");
  }

  /** The width of one query (and key) head: {@code qk_nope_head_dim + qk_rope_head_dim}. */
  public int qkHeadDim() {
    return qkNopeHeadDim + qkRopeHeadDim;
  }

  /** What the cache keeps per token and layer: the compressed kv and the rotary key part. */
  public int cachedWidth() {
    return kvLoraRank + qkRopeHeadDim;
  }

  private static void check(boolean ok, String problem) {
    if (!ok) {
      throw new IllegalArgumentException(problem);
    }
  }
}
