package dev.ringmoe.model;

import java.util.Objects;

/**
 * YaRN rotary scaling ("Yet another RoPE extensioN", arXiv 2309.00071) exactly as Hugging Face
 * transformers 4.57 computes it in {@code modeling_rope_utils._compute_yarn_parameters}: the
 * inverse frequencies of a {@code dim}-wide rotary embedding, blended between the unscaled
 * ("extrapolated") frequencies {@code theta^(-2i/dim)} and the interpolated ones {@code
 * theta^(-2i/dim) / factor} by a linear ramp over the dimensions between the correction range of
 * {@code beta_fast} and {@code beta_slow} rotations, plus the attention factor that multiplies
 * {@code cos} and {@code sin}.
 *
 * <p>Rules taken over from Hugging Face, including where they differ from the paper or from a
 * model's own code:
 *
 * <ul>
 *   <li>when {@code original_max_position_embeddings} is set, the factor used everywhere (ramp
 *       blend and attention factor) is {@code max_position_embeddings / original}, not {@code
 *       factor} (DeepSeek-V3 and gpt-oss write both consistently);
 *   <li>the attention factor is {@code attention_factor} when given, else {@code mscale(f, mscale)
 *       / mscale(f, mscale_all_dim)} when both are set and non-zero, else {@code mscale(f, 1) = 0.1
 *       ln f + 1}; see {@link #mscale(double, double)};
 *   <li>{@code beta_fast} / {@code beta_slow} default to 32 / 1 when absent, null or 0;
 *   <li>{@code truncate} (default true) floors the low and ceils the high correction dimension; the
 *       range is then clamped to {@code [0, dim - 1]}, and a zero-width ramp is widened by 0.001;
 *   <li>the arithmetic on frequencies is float32 in Hugging Face's order, so the frequencies are
 *       bit-identical to theirs; the correction range and the attention factor are double, as
 *       Python computes them.
 * </ul>
 *
 * <p>A model whose own code multiplies the attention softmax scale by {@code mscale(factor,
 * mscale_all_dim)^2} (DeepSeek-V3) does that itself with {@link #mscale(double, double)}; this
 * class only yields what goes into the rotary embedding.
 *
 * <p>Immutable and thread-safe; {@link #inverseFrequencies()} returns a copy.
 */
public final class Yarn {
  private static final int DEFAULT_BETA_FAST = 32;
  private static final int DEFAULT_BETA_SLOW = 1;

  /**
   * The fields of a {@code rope_scaling} object of {@code rope_type "yarn"}; {@code null} means
   * absent (or JSON null), as in Hugging Face.
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
  public record Scaling(
      double factor,
      Integer originalMaxPositionEmbeddings,
      Double attentionFactor,
      Double mscale,
      Double mscaleAllDim,
      Double betaFast,
      Double betaSlow,
      Boolean truncate) {}

  private final float[] invFreq;
  private final double attentionFactor;

  private Yarn(float[] invFreq, double attentionFactor) {
    this.invFreq = invFreq;
    this.attentionFactor = attentionFactor;
  }

  /**
   * Computes the YaRN frequencies and attention factor.
   *
   * @param dim the rotary width (even; {@code dim / 2} frequencies): {@code head_dim} times any
   *     partial rotary factor, for DeepSeek {@code qk_rope_head_dim}
   * @param theta {@code rope_theta}
   * @param maxPositionEmbeddings {@code max_position_embeddings}
   * @param s the {@code rope_scaling} fields
   * @throws IllegalArgumentException naming the field when a value is out of range (a factor or
   *     position count that is not positive, a beta that is negative or not finite)
   */
  public static Yarn compute(int dim, double theta, int maxPositionEmbeddings, Scaling s) {
    Objects.requireNonNull(s, "scaling");
    if (dim <= 0 || dim % 2 != 0) {
      throw new IllegalArgumentException("rotary dimension must be positive and even, was " + dim);
    }
    if (!(theta >= 1) || Double.isInfinite(theta)) {
      throw new IllegalArgumentException("rope_theta must be finite and at least 1, was " + theta);
    }
    if (!(s.factor() > 0) || Double.isInfinite(s.factor())) {
      throw new IllegalArgumentException(
          "rope_scaling.factor must be a finite positive number, was " + s.factor());
    }
    if (maxPositionEmbeddings <= 0) {
      throw new IllegalArgumentException(
          "max_position_embeddings must be positive, was " + maxPositionEmbeddings);
    }
    double factor = s.factor();
    int original = maxPositionEmbeddings;
    if (s.originalMaxPositionEmbeddings() != null) {
      original = s.originalMaxPositionEmbeddings();
      if (original <= 0) {
        throw new IllegalArgumentException(
            "rope_scaling.original_max_position_embeddings must be positive, was " + original);
      }
      // Hugging Face: models that raise max_position_embeddings and keep the pretrained length here
      // use the ratio of the two as the factor, instead of `factor`.
      factor = (double) maxPositionEmbeddings / original;
    }
    double attention;
    if (s.attentionFactor() != null) {
      attention = s.attentionFactor();
    } else if (nonZero(s.mscale()) && nonZero(s.mscaleAllDim())) {
      attention = mscale(factor, s.mscale()) / mscale(factor, s.mscaleAllDim());
    } else {
      attention = mscale(factor, 1);
    }
    if (!Double.isFinite(attention)) {
      throw new IllegalArgumentException(
          "rope_scaling gives a non-finite attention factor " + attention);
    }
    double betaFast = orDefault(s.betaFast(), DEFAULT_BETA_FAST, "beta_fast");
    double betaSlow = orDefault(s.betaSlow(), DEFAULT_BETA_SLOW, "beta_slow");
    boolean truncate = s.truncate() == null || s.truncate();

    // find_correction_range, in double as Python computes it
    double low = correctionDim(betaFast, dim, theta, original);
    double high = correctionDim(betaSlow, dim, theta, original);
    if (truncate) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low == high) {
      high += 0.001; // Hugging Face: prevents a division by zero in the ramp
    }

    int half = dim / 2;
    float[] inv = new float[half];
    float factorF = (float) factor;
    float lowF = (float) low;
    float widthF = (float) (high - low);
    for (int i = 0; i < half; i++) {
      // pos_freqs = base ** (arange(0, dim, 2).float() / dim), as Rope computes the plain ones
      float exponent = (float) (2 * i) / (float) dim;
      float posFreq = (float) Math.pow(theta, exponent);
      float extrapolation = 1.0f / posFreq;
      float interpolation = 1.0f / (factorF * posFreq);
      float ramp = Math.min(Math.max(((float) i - lowF) / widthF, 0f), 1f);
      float extrapolationFactor = 1f - ramp;
      inv[i] = interpolation * (1f - extrapolationFactor) + extrapolation * extrapolationFactor;
    }
    return new Yarn(inv, attention);
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

  /** The {@code dim / 2} inverse frequencies, float32; a fresh copy the caller owns. */
  public float[] inverseFrequencies() {
    return invFreq.clone();
  }

  /** The factor that multiplies {@code cos} and {@code sin} (Hugging Face's attention scaling). */
  public double attentionFactor() {
    return attentionFactor;
  }

  /** find_correction_dim: the dimension at which the wavelength makes {@code rotations} turns. */
  private static double correctionDim(double rotations, int dim, double base, int maxPositions) {
    return (dim * Math.log(maxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  }

  private static boolean nonZero(Double v) {
    return v != null && v != 0;
  }

  private static double orDefault(Double v, int fallback, String field) {
    // Hugging Face: `rope_scaling.get("beta_fast") or 32`, so 0 also means the default.
    if (v == null || v == 0) {
      return fallback;
    }
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(
          "rope_scaling." + field + " must be a finite positive number, was " + v);
    }
    return v;
  }
}
