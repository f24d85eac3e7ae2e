package dev.ringmoe.model;

/**
 * Rotary position embedding exactly as Hugging Face's Mixtral computes it: {@code inv_freq} in
 * float32 from {@code theta^(2i/d)}, angles {@code position * inv_freq} in float32, and the "rotate
 * half" pairing of dimension {@code i} with {@code i + d/2} (not interleaved pairs).
 *
 * <p>Immutable after construction; thread-safe.
 */
final class Rope {
  private final int headDim;
  private final float[] invFreq;

  Rope(int headDim, double theta) {
    this.headDim = headDim;
    int half = headDim / 2;
    invFreq = new float[half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / (float) headDim;
      invFreq[i] = 1.0f / (float) Math.pow(theta, exponent);
    }
  }

  /** Fills {@code cos} and {@code sin} (length headDim/2) for one position. */
  void angles(int position, float[] cos, float[] sin) {
    for (int i = 0; i < invFreq.length; i++) {
      float angle = invFreq[i] * (float) position;
      cos[i] = (float) Math.cos(angle);
      sin[i] = (float) Math.sin(angle);
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
