package dev.ringmoe.generate;

import dev.ringmoe.tensor.VectorMath;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits according to {@link GenerationOptions}. Greedy takes the first
 * maximum (as {@code argmax} does); sampling applies temperature, top-k and top-p, then draws from
 * the renormalised distribution with a generator seeded from the options.
 *
 * <h2>Numerics</h2>
 *
 * Token {@code i} is drawn with weight {@code exp((l_i - l_max) / T)}: the difference to the
 * largest logit is taken first and divided by the temperature after, so no intermediate overflows.
 * At any positive temperature, however small ({@link Double#MIN_VALUE} included), this is the
 * softmax of {@code l / T}; as {@code T} goes to 0 every token below the maximum gets weight 0 and
 * sampling becomes greedy (ties for the maximum are drawn with equal probability, the limit of the
 * softmax). Tokens whose logit equals the maximum always get weight 1, which also defines the
 * non-finite cases:
 *
 * <ul>
 *   <li>{@code +Infinity} logits: only those tokens can be drawn, with equal probability;
 *   <li>{@code -Infinity} logits: never drawn, unless every logit is {@code -Infinity}, when all
 *       tokens are equally likely (and greedy takes token 0, the first maximum);
 *   <li>{@code NaN} logits are refused: {@link #next} and {@link #argmax} throw {@link
 *       IllegalArgumentException} naming the first NaN's index, since no token can be ranked
 *       against a NaN.
 * </ul>
 *
 * <p>Not thread-safe: one sampler per generation.
 */
public final class Sampler {
  private final GenerationOptions options;
  private final SplittableRandom random;

  public Sampler(GenerationOptions options) {
    this.options = options;
    this.random = new SplittableRandom(options.seed());
  }

  /**
   * The index of the first maximum.
   *
   * @throws IllegalArgumentException if {@code logits} is empty or holds a NaN
   */
  public static int argmax(float[] logits) {
    checkLogits(logits);
    return VectorMath.argmax(logits, 0, logits.length);
  }

  /**
   * The next token id; {@code logits} is not modified.
   *
   * @throws IllegalArgumentException if {@code logits} is empty or holds a NaN
   */
  public int next(float[] logits) {
    if (options.isGreedy()) {
      return argmax(logits);
    }
    checkLogits(logits);
    int n = logits.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // Stable: equal logits keep index order, so top-k ties go to the lower ids.
    Arrays.sort(order, (a, b) -> VectorMath.compareRank(logits[a], logits[b]));
    int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
    double temperature = options.temperature();
    double max = logits[order[0]];
    double[] weights = new double[keep];
    for (int i = 0; i < keep; i++) {
      double logit = logits[order[i]];
      // Difference first (finite, or -Infinity below an infinite maximum), then divide: a tiny
      // temperature turns
      // it into -Infinity, never into NaN. The maxima get exactly 1, also when they are infinite.
      weights[i] = logit == max ? 1.0 : Math.exp((logit - max) / temperature);
    }
    if (options.topP() < 1.0) {
      double total = 0;
      for (int i = 0; i < keep; i++) {
        total += weights[i];
      }
      double cumulative = 0;
      int nucleus = keep;
      for (int i = 0; i < keep; i++) {
        cumulative += weights[i] / total;
        if (cumulative >= options.topP()) {
          nucleus = i + 1;
          break;
        }
      }
      keep = nucleus;
    }
    double sum = 0;
    for (int i = 0; i < keep; i++) {
      sum += weights[i];
    }
    // sum >= 1 (the maximum's weight). Walking the same running sum that produced it, a draw below
    // it is always
    // matched inside the loop, and a token of weight 0 can never be the match.
    double draw = random.nextDouble() * sum;
    double cumulative = 0;
    for (int i = 0; i < keep; i++) {
      cumulative += weights[i];
      if (draw < cumulative) {
        return order[i];
      }
    }
    return order[0];
  }

  private static void checkLogits(float[] logits) {
    if (logits.length == 0) {
      throw new IllegalArgumentException("no logits to pick a token from");
    }
    for (int i = 0; i < logits.length; i++) {
      if (Float.isNaN(logits[i])) {
        throw new IllegalArgumentException(
            "logit "
                + i
                + " of "
                + logits.length
                + " is NaN; NaN logits are refused"
                + " because no token can be ranked against a NaN");
      }
    }
  }
}
