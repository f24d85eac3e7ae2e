package dev.ringmoe.model;

/**
 * Rotary position embedding exactly as Hugging Face's Mixtral computes it: {@code inv_freq} in
 * float32 from {@code theta^(2i/d)} (or YaRN's blend of it, {@link Yarn}, with its attention factor
 * on {@code cos} and {@code sin}), angles {@code position * inv_freq} in float32, and the "rotate
 * half" pairing of dimension {@code i} with {@code i + d/2} (not interleaved pairs).
 *
 * <p>Immutable after construction; thread-safe.
 */
final class Rope {
  private final int headDim;
  private final float[] invFreq;
  private final float attentionFactor;

  Rope(int headDim, double theta) {
    this.headDim = headDim;
    int half = headDim / 2;
    invFreq = new float[half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / (float) headDim;
      invFreq[i] = 1.0f / (float) Math.pow(theta, exponent);
    }
    attentionFactor = 1f;
  }

  /**
   * A scaled rotary embedding (YaRN): the given inverse frequencies ({@code headDim / 2} of them),
   * and {@code cos} and {@code sin} multiplied by {@code attentionFactor} in float32, as Hugging
   * Face applies its {@code attention_scaling}.
   */
  Rope(int headDim, float[] invFreq, double attentionFactor) {
    if (invFreq.length != headDim / 2) {
      throw new IllegalArgumentException(invFreq.length + " frequencies for a head of " + headDim);
    }
    this.headDim = headDim;
    this.invFreq = invFreq.clone();
    this.attentionFactor = (float) attentionFactor;
  }

  /**
   * RoPE of width {@code dim}: YaRN-scaled ({@link Yarn}) when {@code yarn} is given, else plain.
   *
   * @param maxPositions {@code max_position_embeddings} (YaRN's factor rule reads it)
   */
  static Rope of(int dim, double theta, int maxPositions, Yarn.Scaling yarn) {
    if (yarn == null) {
      return new Rope(dim, theta);
    }
    Yarn y = Yarn.compute(dim, theta, maxPositions, yarn);
    return new Rope(dim, y.inverseFrequencies(), y.attentionFactor());
  }

  /** Fills {@code cos} and {@code sin} (length headDim/2) for one position. */
  void angles(int position, float[] cos, float[] sin) {
    for (int i = 0; i < invFreq.length; i++) {
      float angle = invFreq[i] * (float) position;
      cos[i] = (float) Math.cos(angle);
      sin[i] = (float) Math.sin(angle);
      if (attentionFactor != 1f) {
        cos[i] *= attentionFactor;
        sin[i] *= attentionFactor;
      }
    }
  }

  /** Rotates {@code heads} consecutive heads of one token in place, starting at {@code offset}. */
  void rotate(float[] x, int offset, int heads, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int h = 0; h < heads; h++) {
      int base = offset + h * headDim;
      for (int i = 0; i < half; i++) {
        float a = x[base + i];
        float b = x[base + i + half];
        x[base + i] = a * cos[i] - b * sin[i];
        x[base + i + half] = b * cos[i] + a * sin[i];
      }
    }
  }
}
