package dev.ringmoe.model;

import dev.ringmoe.config.YarnScaling;

/**
 * Rotary position embedding exactly as Hugging Face computes it: {@code inv_freq} in float32 from
 * {@code theta^(2i/d)} (or YaRN's blend of it, {@link Yarn}), angles {@code position * inv_freq} in
 * float32, {@code cos} and {@code sin} multiplied by the attention factor (1 without YaRN), and
 * either the "rotate half" pairing of dimension {@code i} with {@code i + d/2} (Mixtral, Qwen,
 * OLMoE) or the interleaved pairing of {@code 2i} with {@code 2i + 1} (DeepSeek's complex rotation;
 * Hugging Face's {@code rope_interleave}, which de-interleaves both queries and keys first: the
 * same dot products).
 *
 * <p>Immutable after construction; thread-safe.
 */
final class Rope {
  private final int dim;
  private final float[] invFreq;
  private final float attentionFactor;
  private final boolean interleaved;

  /** Plain rotate-half RoPE of width {@code headDim}. */
  Rope(int headDim, double theta) {
    this(plainFrequencies(headDim, theta), 1f, false);
  }

  private Rope(float[] invFreq, float attentionFactor, boolean interleaved) {
    this.dim = 2 * invFreq.length;
    this.invFreq = invFreq;
    this.attentionFactor = attentionFactor;
    this.interleaved = interleaved;
  }

  /**
   * RoPE of width {@code dim}: YaRN-scaled when {@code yarn} is given, else plain.
   *
   * @param maxPositions {@code max_position_embeddings} (YaRN's factor rule reads it)
   */
  static Rope of(int dim, double theta, int maxPositions, YarnScaling yarn, boolean interleaved) {
    if (yarn == null) {
      return new Rope(plainFrequencies(dim, theta), 1f, interleaved);
    }
    Yarn y = Yarn.compute(dim, theta, maxPositions, yarn);
    return new Rope(y.inverseFrequencies(), (float) y.attentionFactor(), interleaved);
  }

  private static float[] plainFrequencies(int dim, double theta) {
    int half = dim / 2;
    float[] inv = new float[half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / (float) dim;
      inv[i] = 1.0f / (float) Math.pow(theta, exponent);
    }
    return inv;
  }

  /** Fills {@code cos} and {@code sin} (length dim/2) for one position. */
  void angles(int position, float[] cos, float[] sin) {
    for (int i = 0; i < invFreq.length; i++) {
      float angle = invFreq[i] * (float) position;
      cos[i] = (float) Math.cos(angle) * attentionFactor;
      sin[i] = (float) Math.sin(angle) * attentionFactor;
    }
  }

  /** Rotates {@code heads} consecutive heads of one token in place, starting at {@code offset}. */
  void rotate(float[] x, int offset, int heads, float[] cos, float[] sin) {
    rotate(x, offset, heads, dim, cos, sin);
  }

  /**
   * Rotates {@code count} vectors of width {@code dim} in place, the first at {@code offset}, each
   * {@code stride} entries after the previous (the rotary part of each head, for MLA).
   */
  void rotate(float[] x, int offset, int count, int stride, float[] cos, float[] sin) {
    int half = dim / 2;
    for (int h = 0; h < count; h++) {
      int base = offset + h * stride;
      for (int i = 0; i < half; i++) {
        int ia = interleaved ? base + 2 * i : base + i;
        int ib = interleaved ? ia + 1 : ia + half;
        float a = x[ia];
        float b = x[ib];
        x[ia] = a * cos[i] - b * sin[i];
        x[ib] = b * cos[i] + a * sin[i];
      }
    }
  }
}
