package dev.ringmoe.tensor;

/**
 * The one softmax and the one top-k of the project, over a slice of a float array, with one rule
 * for NaN and ties.
 *
 * <p><b>Ordering rule</b> (used by {@link #topK} and by every caller that ranks scores): larger
 * values first; NaN ranks below every number, {@code -Infinity} included; equal values keep the
 * lower index first, as {@code torch.topk} does on CPU. So {@code topK} always returns {@code k}
 * distinct indices inside the slice, whatever the values are.
 *
 * <p><b>Softmax rule</b>: computed as {@code exp(x - max) / sum} in double precision, so any finite
 * row gives finite probabilities that sum to 1. A row holding NaN or {@code +Infinity}, or only
 * {@code -Infinity}, has no defined softmax: every output is NaN (as in PyTorch), and {@link
 * #softmax} returns {@code false} so that the caller can report the row instead of routing on it.
 *
 * <p>Stateless and thread-safe; works on the caller's arrays and allocates nothing.
 */
public final class VectorMath {
  private VectorMath() {}

  /**
   * Writes {@code softmax(in[inOffset .. inOffset + n))} to {@code out[outOffset ..]} ({@code in}
   * and {@code out} may be the same array).
   *
   * @return whether the row had a defined softmax (see the class comment); when false every output
   *     is NaN
   */
  public static boolean softmax(float[] in, int inOffset, int n, float[] out, int outOffset) {
    float max = Float.NEGATIVE_INFINITY;
    boolean defined = n > 0;
    for (int i = 0; i < n; i++) {
      float v = in[inOffset + i];
      if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
        defined = false;
      }
      max = Math.max(max, v);
    }
    if (max == Float.NEGATIVE_INFINITY) {
      defined = false;
    }
    if (!defined) {
      java.util.Arrays.fill(out, outOffset, outOffset + n, Float.NaN);
      return false;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.exp(in[inOffset + i] - max);
    }
    for (int i = 0; i < n; i++) {
      out[outOffset + i] = (float) (Math.exp(in[inOffset + i] - max) / sum);
    }
    return true;
  }

  /**
   * Writes the indices (relative to {@code offset}) of the {@code k} largest of {@code
   * scores[offset .. offset + n)} to {@code ids[idsOffset ..]}, best first, by the ordering rule in
   * the class comment. O(n * k), for the small k of routing.
   *
   * @throws IllegalArgumentException if {@code k} is not in [0, n]
   */
  public static void topK(float[] scores, int offset, int n, int k, int[] ids, int idsOffset) {
    if (k < 0 || k > n) {
      throw new IllegalArgumentException("top-" + k + " of " + n + " values");
    }
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        if (taken(ids, idsOffset, j, i)) {
          continue;
        }
        if (best < 0 || ranksAbove(scores[offset + i], scores[offset + best])) {
          best = i;
        }
      }
      ids[idsOffset + j] = best;
    }
  }

  /**
   * Whether {@code a} ranks strictly above {@code b} when {@code a} has the higher index: larger,
   * or a number against NaN. Equal values (and two NaNs) never do, so the lower index wins ties.
   */
  public static boolean ranksAbove(float a, float b) {
    if (Float.isNaN(a)) {
      return false;
    }
    return Float.isNaN(b) || a > b;
  }

  private static boolean taken(int[] ids, int idsOffset, int count, int index) {
    for (int j = 0; j < count; j++) {
      if (ids[idsOffset + j] == index) {
        return true;
      }
    }
    return false;
  }

  /**
   * The index (relative to {@code offset}) of the first value in the slice that is NaN or infinite,
   * or -1 if every value is finite.
   */
  public static int firstNonFinite(float[] values, int offset, int n) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(values[offset + i])) {
        return i;
      }
    }
    return -1;
  }
}
