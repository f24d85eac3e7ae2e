package dev.ringmoe.model;

/**
 * Root-mean-square layer norm, {@code x / sqrt(mean(x²) + eps) * weight}, in float32 with the mean
 * accumulated in double (Hugging Face's reduction is pairwise, so a plain float sum would drift
 * from it on wide layers). Public so that predictors which apply a layer's router outside the
 * decoder (gate lookahead) normalise bit for bit as it does. Stateless.
 */
public final class RmsNorm {
  private RmsNorm() {}

  /** Normalises {@code rows} rows of width {@code width} from {@code in} into {@code out}. */
  static void apply(float[] in, float[] out, float[] weight, int rows, int width, double eps) {
    for (int r = 0; r < rows; r++) {
      row(in, r * width, out, r * width, weight, width, eps);
    }
  }

  /**
   * Normalises one row of width {@code width} at {@code in[inOffset]} into {@code out[outOffset]}.
   */
  public static void row(
      float[] in, int inOffset, float[] out, int outOffset, float[] weight, int width, double eps) {
    double sumSquares = 0;
    for (int i = 0; i < width; i++) {
      float x = in[inOffset + i];
      sumSquares += (double) x * x;
    }
    float variance = (float) (sumSquares / width);
    float inverse = (float) (1.0 / Math.sqrt(variance + (float) eps));
    for (int i = 0; i < width; i++) {
      out[outOffset + i] = weight[i] * (in[inOffset + i] * inverse);
    }
  }
}
