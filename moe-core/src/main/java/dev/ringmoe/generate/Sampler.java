package dev.ringmoe.generate;

import dev.ringmoe.tensor.VectorMath;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits according to {@link GenerationOptions}, remembering the tokens
 * it picked for the penalties.
 *
 * <h2>Order</h2>
 *
 * As Hugging Face's {@code generate} and llama.cpp's sampler chain do, the penalties change the
 * logits first, then the token is picked from the penalised logits:
 *
 * <ol>
 *   <li>repetition penalty (Hugging Face's {@code RepetitionPenaltyLogitsProcessor}): for each
 *       distinct id of the {@linkplain #context context} (the prompt) and of the picked tokens,
 *       {@code logit > 0 ? logit / p : logit * p};
 *   <li>presence and frequency penalties (OpenAI's): {@code logit -= frequency * count + presence *
 *       (count > 0 ? 1 : 0)}, {@code count} being how often the id was picked (the context does not
 *       count). llama.cpp applies them in this order after the repetition penalty too; each step is
 *       computed in double and rounded to float;
 *   <li>greedy: the first maximum of the penalised logits; or sampling: temperature, then top-k,
 *       then top-p, then min-p (Hugging Face's order of its warpers). Min-p keeps the tokens whose
 *       probability after temperature is at least {@code minP} times the most likely one's; as a
 *       ratio to the maximum it does not depend on the tokens top-k and top-p removed, so placing
 *       it last only means that top-p's nucleus is measured on the distribution before min-p (as in
 *       Hugging Face) and the two cuts intersect.
 * </ol>
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
 * Ranking ties keep index order (top-k ties go to the lower ids), as {@link VectorMath#compareRank}
 * says.
 *
 * <p>The vocabulary-sized work arrays are allocated at the first call and reused. Not thread-safe:
 * one sampler per generation.
 */
public final class Sampler {
  private final GenerationOptions options;
  private final SplittableRandom random;
  private final boolean penalties;
  private int[] context = new int[0];
  // Vocabulary-sized, allocated at the first next(): penalised logits, how often each id was
  // picked, whether an id is in the context or was picked, the ranking keys and the weights.
  private float[] work;
  private int[] counts;
  private boolean[] seen;
  private int[] seenIds;
  private int seenCount;
  private long[] order;
  private double[] weights;

  /** Test seam: sees the penalised logits each pick used. */
  java.util.function.Consumer<float[]> usedLogits;

  public Sampler(GenerationOptions options) {
    this.options = options;
    this.random = new SplittableRandom(options.seed());
    this.penalties = options.hasPenalties();
  }

  /**
   * The ids before the first generated one (the prompt) that the repetition penalty counts; call
   * before the first {@link #next}. Copied.
   */
  public void context(int[] ids) {
    if (work != null) {
      throw new IllegalStateException("the context must be set before the first token");
    }
    this.context = ids.clone();
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
   * The next token id, which the sampler then counts as picked for the penalties; {@code logits} is
   * not modified.
   *
   * @throws IllegalArgumentException if {@code logits} is empty or holds a NaN
   */
  public int next(float[] logits) {
    checkLogits(logits);
    allocate(logits.length);
    float[] used = logits;
    if (penalties) {
      used = work.length == logits.length ? work : new float[logits.length];
      System.arraycopy(logits, 0, used, 0, logits.length);
      penalise(used);
    }
    if (usedLogits != null) {
      usedLogits.accept(used.clone());
    }
    int picked = options.isGreedy() ? VectorMath.argmax(used, 0, used.length) : sample(used);
    counts[picked]++;
    markSeen(picked);
    return picked;
  }

  /** Applies the repetition, presence and frequency penalties to {@code logits} in place. */
  private void penalise(float[] logits) {
    double repetition = options.repetitionPenalty();
    double presence = options.presencePenalty();
    double frequency = options.frequencyPenalty();
    for (int j = 0; j < seenCount; j++) {
      int id = seenIds[j];
      if (id >= logits.length) {
        continue;
      }
      float logit = logits[id];
      if (repetition != 1) {
        logit = logit > 0 ? (float) (logit / repetition) : (float) (logit * repetition);
      }
      int count = counts[id];
      if (count > 0 && (presence != 0 || frequency != 0)) {
        logit = (float) (logit - (frequency * count + presence));
      }
      logits[id] = logit;
    }
  }

  private int sample(float[] logits) {
    int n = logits.length;
    for (int i = 0; i < n; i++) {
      order[i] = rankKey(logits[i], i);
    }
    Arrays.sort(order, 0, n);
    int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
    double temperature = options.temperature();
    double max = logits[index(order[0])];
    for (int i = 0; i < keep; i++) {
      double logit = logits[index(order[i])];
      // Difference first (finite, or -Infinity below an infinite maximum), then divide: a tiny
      // temperature turns it into -Infinity, never into NaN. The maxima get exactly 1, also when
      // they are infinite.
      weights[i] = logit == max ? 1.0 : Math.exp((logit - max) / temperature);
    }
    if (options.topP() < 1.0) {
      double total = 0;
      for (int i = 0; i < keep; i++) {
        total += weights[i];
      }
      double cumulative = 0;
      for (int i = 0; i < keep; i++) {
        cumulative += weights[i] / total;
        if (cumulative >= options.topP()) {
          keep = i + 1;
          break;
        }
      }
    }
    if (options.minP() > 0) {
      // The most likely token has weight 1, so "probability >= minP * max probability" is
      // "weight >= minP"; weights fall along the order, so the kept tokens are a prefix.
      int kept = 1;
      while (kept < keep && weights[kept] >= options.minP()) {
        kept++;
      }
      keep = kept;
    }
    double sum = 0;
    for (int i = 0; i < keep; i++) {
      sum += weights[i];
    }
    // sum >= 1 (the maximum's weight). Walking the same running sum that produced it, a draw below
    // it is always matched inside the loop, and a token of weight 0 can never be the match.
    double draw = random.nextDouble() * sum;
    double cumulative = 0;
    for (int i = 0; i < keep; i++) {
      cumulative += weights[i];
      if (draw < cumulative) {
        return index(order[i]);
      }
    }
    return index(order[0]);
  }

  /**
   * A key whose ascending order is {@link VectorMath#compareRank}'s (larger logits first, equal
   * ones by index), so that a primitive sort ranks without boxing. NaN never gets here.
   */
  private static long rankKey(float logit, int index) {
    int bits = Float.floatToIntBits(logit + 0.0f); // -0.0 ranks equal to 0.0
    int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
    return ((long) ~ascending << 32) | index;
  }

  private static int index(long key) {
    return (int) key;
  }

  /**
   * Sizes the work arrays for {@code n} logits: once per generation, since every step has the
   * vocabulary's length (grown, never shrunk, if a caller changes the length).
   */
  private void allocate(int n) {
    if (work == null) {
      work = new float[n];
      counts = new int[n];
      seen = new boolean[n];
      seenIds = new int[Math.min(n, 64)];
      for (int id : context) {
        if (id >= 0 && id < n) {
          markSeen(id);
        }
      }
    } else if (n > work.length) {
      work = new float[n];
      counts = Arrays.copyOf(counts, n);
      seen = Arrays.copyOf(seen, n);
    }
    if (!options.isGreedy() && (order == null || order.length < n)) {
      order = new long[n];
      weights = new double[n];
    }
  }

  private void markSeen(int id) {
    if (!seen[id]) {
      seen[id] = true;
      if (seenCount == seenIds.length) {
        seenIds = Arrays.copyOf(seenIds, 2 * seenCount);
      }
      seenIds[seenCount++] = id;
    }
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
