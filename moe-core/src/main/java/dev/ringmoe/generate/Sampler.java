package dev.ringmoe.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits according to {@link GenerationOptions}. Greedy takes the first maximum (as
 * {@code argmax} does); sampling applies temperature, top-k and top-p, then draws from the renormalised
 * distribution with a generator seeded from the options.
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

  /** The index of the first maximum. */
  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The next token id; {@code logits} is not modified. */
  public int next(float[] logits) {
    if (options.isGreedy()) {
      return argmax(logits);
    }
    int n = logits.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
    int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
    double max = logits[order[0]] / options.temperature();
    double[] probs = new double[keep];
    double sum = 0;
    for (int i = 0; i < keep; i++) {
      probs[i] = Math.exp(logits[order[i]] / options.temperature() - max);
      sum += probs[i];
    }
    if (options.topP() < 1.0) {
      double cumulative = 0;
      int nucleus = keep;
      for (int i = 0; i < keep; i++) {
        cumulative += probs[i] / sum;
        if (cumulative >= options.topP()) {
          nucleus = i + 1;
          break;
        }
      }
      keep = nucleus;
      sum = 0;
      for (int i = 0; i < keep; i++) {
        sum += probs[i];
      }
    }
    double draw = random.nextDouble() * sum;
    for (int i = 0; i < keep; i++) {
      draw -= probs[i];
      if (draw < 0) {
        return order[i];
      }
    }
    return order[keep - 1];
  }
}
