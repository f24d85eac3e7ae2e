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
    double max = definedMax(in, inOffset, n);
    if (Double.isNaN(max)) {
      java.util.Arrays.fill(out, outOffset, outOffset + n, Float.NaN);
      return false;
    }
    // One exp per value (attention calls this for every query row over the whole cache).
    double sum = 0;
    for (int i = 0; i < n; i++) {
      float e = (float) Math.exp(in[inOffset + i] - max);
      out[outOffset + i] = e;
      sum += e;
    }
    float inverse = (float) (1.0 / sum);
    for (int i = 0; i < n; i++) {
      out[outOffset + i] *= inverse;
    }
    return true;
  }

  /**
   * {@link #softmax(float[], int, int, float[], int)} into a double array (for analyses that
   * compare probabilities finer than float32 resolves).
   */
  public static boolean softmax(float[] in, int inOffset, int n, double[] out, int outOffset) {
    double max = definedMax(in, inOffset, n);
    if (Double.isNaN(max)) {
      java.util.Arrays.fill(out, outOffset, outOffset + n, Double.NaN);
      return false;
    }
    double sum = sumExp(in, inOffset, n, max);
    for (int i = 0; i < n; i++) {
      out[outOffset + i] = Math.exp(in[inOffset + i] - max) / sum;
    }
    return true;
  }

  /**
   * {@code log(sum(exp(x)))} of the slice, computed from its maximum; NaN where softmax is
   * undefined.
   */
  public static double logSumExp(float[] in, int inOffset, int n) {
    double max = definedMax(in, inOffset, n);
    return Double.isNaN(max) ? Double.NaN : max + Math.log(sumExp(in, inOffset, n, max));
  }

  /**
   * The slice's maximum, or NaN if it holds NaN or +Infinity or only -Infinity (no defined
   * softmax).
   */
  private static double definedMax(float[] in, int offset, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      float v = in[offset + i];
      if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
        return Double.NaN;
      }
      max = Math.max(max, v);
    }
    return max == Float.NEGATIVE_INFINITY ? Double.NaN : max;
  }

  private static double sumExp(float[] in, int offset, int n, double max) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.exp(in[offset + i] - max);
    }
    return sum;
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
   * The indices of the {@code k} largest of the slice, best first (a new array); see {@link #topK}.
   */
  public static int[] topK(float[] scores, int offset, int n, int k) {
    int[] ids = new int[k];
    topK(scores, offset, n, k, ids, 0);
    return ids;
  }

  /** The index of the largest value of the slice by the ordering rule (the first maximum). */
  public static int argmax(float[] scores, int offset, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (ranksAbove(scores[offset + i], scores[offset + best])) {
        best = i;
      }
    }
    return best;
  }

  /**
   * A comparator of values by the ordering rule, for a stable sort whose equal values keep index
   * order: negative when {@code a} ranks above {@code b}.
   */
  public static int compareRank(float a, float b) {
    return ranksAbove(a, b) ? -1 : ranksAbove(b, a) ? 1 : 0;
  }

  /**
   * Whether {@code a} ranks strictly above {@code b}: larger, or a number against NaN. Equal values
   * (and two NaNs) never do, so among equal values the lower index wins.
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
