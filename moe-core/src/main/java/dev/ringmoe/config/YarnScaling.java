package dev.ringmoe.config;

/**
 * The fields of a {@code rope_scaling} object of {@code rope_type "yarn"}, as written in {@code
 * config.json}; {@code null} means absent (or JSON null), as in Hugging Face. The YaRN frequencies
 * themselves are computed by {@code dev.ringmoe.model.Yarn}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param factor {@code factor}, required, finite and positive
 * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings} or null
 * @param attentionFactor {@code attention_factor} or null
 * @param mscale {@code mscale} or null
 * @param mscaleAllDim {@code mscale_all_dim} or null
 * @param betaFast {@code beta_fast} or null
 * @param betaSlow {@code beta_slow} or null
 * @param truncate {@code truncate} or null (true)
 */
public record YarnScaling(
    double factor,
    Integer originalMaxPositionEmbeddings,
    Double attentionFactor,
    Double mscale,
    Double mscaleAllDim,
    Double betaFast,
    Double betaSlow,
    Boolean truncate) {

  /**
   * @throws IllegalArgumentException naming the field when a value is out of range
   */
  public YarnScaling {
    if (!(factor > 0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException(
          "rope_scaling.factor must be a finite positive number, was " + factor);
    }
    if (originalMaxPositionEmbeddings != null && originalMaxPositionEmbeddings <= 0) {
      throw new IllegalArgumentException(
          "rope_scaling.original_max_position_embeddings must be positive, was "
              + originalMaxPositionEmbeddings);
    }
    positive(betaFast, "beta_fast");
    positive(betaSlow, "beta_slow");
    if (attentionFactor != null && !(attentionFactor > 0 && !attentionFactor.isInfinite())) {
      throw new IllegalArgumentException(
          "rope_scaling.attention_factor must be a finite positive number, was " + attentionFactor);
    }
  }

  private static void positive(Double v, String field) {
    // 0 is allowed: Hugging Face's `get("beta_fast") or 32` reads it as the default
    if (v != null && !(v >= 0 && !v.isInfinite())) {
      throw new IllegalArgumentException(
          "rope_scaling." + field + " must be a finite positive number, was " + v);
    }
  }

  /**
   * YaRN's {@code get_mscale}: {@code 0.1 * mscale * ln(scale) + 1} for {@code scale > 1}, else 1.
   */
  public static double mscale(double scale, double mscale) {
    if (scale <= 1) {
      return 1.0;
    }
    return 0.1 * mscale * Math.log(scale) + 1.0;
  }
}
