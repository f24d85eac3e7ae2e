package dev.ringmoe.model;

/**
 * Root-mean-square layer norm, {@code x / sqrt(mean(x²) + eps) * weight}, in float32 with the mean accumulated in
 * double (Hugging Face's reduction is pairwise, so a plain float sum would drift from it on wide layers).
 */
final class RmsNorm {
  private RmsNorm() {}

  /** Normalises {@code rows} rows of width {@code width} from {@code in} into {@code out}. */
  static void apply(float[] in, float[] out, float[] weight, int rows, int width, double eps) {
    for (int r = 0; r < rows; r++) {
      int base = r * width;
      double sumSquares = 0;
      for (int i = 0; i < width; i++) {
        float x = in[base + i];
        sumSquares += (double) x * x;
      }
      float variance = (float) (sumSquares / width);
      float inverse = (float) (1.0 / Math.sqrt(variance + (float) eps));
      for (int i = 0; i < width; i++) {
        out[base + i] = weight[i] * (in[base + i] * inverse);
      }
    }
  }
}
