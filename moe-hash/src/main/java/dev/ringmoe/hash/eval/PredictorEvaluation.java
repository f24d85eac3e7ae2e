package dev.ringmoe.hash.eval;

import com.google.common.base.Preconditions;
import dev.ringmoe.hash.trace.TraceHeader;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.tensor.VectorMath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Accumulates, per MoE layer, how well predictions match the router over many tokens (one routing
 * decision = one token at one layer):
 *
 * <ul>
 *   <li><b>top-1 accuracy</b>: the predicted top-1 expert is the router's top-1;
 *   <li><b>hit@k</b> for k = 1..{@link #maxK()}: the router's top-1 is among the predicted top k
 *       (SiDA's hit rate; hit@1 equals top-1 accuracy);
 *   <li><b>recall</b>: |router top-k ∩ predicted top-k| / k with k = the model's top-k, the share
 *       of the experts that actually run which a prefetch of k experts would have loaded.
 * </ul>
 *
 * <p>The truth is what the recorded router logits say: the router's top-1 is their argmax (lower
 * expert id on exact equality), its set their top k. Near-ties are not excused: a decision whose
 * router probabilities at rank 1/2 (or k/k+1) differ by less than {@link #NEAR_TIE} is scored like
 * any other and counted in {@link #top1Ties} (or {@link #topKTies}) so that a reader can judge how
 * many results hang on a coin flip.
 *
 * <p>Not thread-safe.
 */
public final class PredictorEvaluation {
  /** Probability gap under which two router choices count as a near-tie. */
  public static final double NEAR_TIE = 1e-4;

  private final int layers;
  private final int experts;
  private final int topK;
  private final int maxK;
  private final long[] decisions;
  private final long[][] hits;
  private final long[] overlap;
  private final long[] top1Ties;
  private final long[] topKTies;

  /**
   * An empty evaluation for a model with these dimensions; hit@k is reported for k = 1..min(4,
   * experts).
   */
  public PredictorEvaluation(int layers, int experts, int topK) {
    Preconditions.checkArgument(layers > 0 && experts > 0, "non-positive dimension");
    Preconditions.checkArgument(
        topK > 0 && topK <= experts, "top-k %s outside 1..%s", topK, experts);
    this.layers = layers;
    this.experts = experts;
    this.topK = topK;
    this.maxK = Math.min(4, experts);
    this.decisions = new long[layers];
    this.hits = new long[layers][maxK + 1];
    this.overlap = new long[layers];
    this.top1Ties = new long[layers];
    this.topKTies = new long[layers];
  }

  /** An empty evaluation for traces with {@code header}. */
  public static PredictorEvaluation forTrace(TraceHeader header) {
    return new PredictorEvaluation(header.layers(), header.experts(), header.topK());
  }

  /** Scores {@code prediction} against the router logits recorded in {@code truth}. */
  public void add(TraceSequence truth, RoutingPrediction prediction) {
    Preconditions.checkArgument(
        truth.tokens() == prediction.tokens(),
        "%s tokens predicted for %s",
        prediction.tokens(),
        truth.tokens());
    add(truth.routerLogits(), prediction);
  }

  /** Scores {@code prediction} against router logits [tokens][layers][experts]. */
  public void add(float[] routerLogits, RoutingPrediction prediction) {
    Preconditions.checkArgument(
        prediction.layers() == layers && prediction.experts() == experts,
        "prediction is %s layers x %s experts, evaluation %s x %s",
        prediction.layers(),
        prediction.experts(),
        layers,
        experts);
    Preconditions.checkArgument(
        routerLogits.length == prediction.scores().length,
        "%s router logits for %s scores",
        routerLogits.length,
        prediction.scores().length);
    int kTruth = topK;
    int kSorted = Math.min(experts, Math.max(maxK, topK + 1));
    double[] probs = new double[experts];
    for (int t = 0; t < prediction.tokens(); t++) {
      for (int l = 0; l < layers; l++) {
        int off = prediction.offset(t, l);
        int[] router = VectorMath.topK(routerLogits, off, experts, Math.min(experts, kTruth + 1));
        int[] predicted = VectorMath.topK(prediction.scores(), off, experts, kSorted);
        decisions[l]++;
        int top1 = router[0];
        for (int k = 1; k <= maxK; k++) {
          if (contains(predicted, k, top1)) {
            for (int kk = k; kk <= maxK; kk++) {
              hits[l][kk]++;
            }
            break;
          }
        }
        for (int j = 0; j < kTruth; j++) {
          if (contains(predicted, kTruth, router[j])) {
            overlap[l]++;
          }
        }
        VectorMath.softmax(routerLogits, off, experts, probs, 0);
        if (router.length > 1 && probs[router[0]] - probs[router[1]] < NEAR_TIE) {
          top1Ties[l]++;
        }
        if (router.length > kTruth
            && probs[router[kTruth - 1]] - probs[router[kTruth]] < NEAR_TIE) {
          topKTies[l]++;
        }
      }
    }
  }

  private static boolean contains(int[] ranked, int k, int expert) {
    for (int j = 0; j < k; j++) {
      if (ranked[j] == expert) {
        return true;
      }
    }
    return false;
  }

  public int layers() {
    return layers;
  }

  /** The model's top-k (the set size recall is measured at). */
  public int topK() {
    return topK;
  }

  /** The largest k of hit@k. */
  public int maxK() {
    return maxK;
  }

  /** Routing decisions (tokens) scored at {@code layer}. */
  public long decisions(int layer) {
    return decisions[layer];
  }

  /** Share of decisions whose predicted top-1 is the router's top-1. */
  public double top1Accuracy(int layer) {
    return hitRate(layer, 1);
  }

  /**
   * Share of decisions whose router top-1 is within the predicted top {@code k}, 1 <= k <= {@link
   * #maxK()}.
   */
  public double hitRate(int layer, int k) {
    Preconditions.checkArgument(k >= 1 && k <= maxK, "k %s outside 1..%s", k, maxK);
    return ratio(hits[layer][k], decisions[layer]);
  }

  /** Mean over decisions of |router top-k ∩ predicted top-k| / k, k = the model's top-k. */
  public double recall(int layer) {
    return ratio(overlap[layer], decisions[layer] * topK);
  }

  /** Decisions whose router top-1 and top-2 probabilities differ by less than {@link #NEAR_TIE}. */
  public long top1Ties(int layer) {
    return top1Ties[layer];
  }

  /**
   * Decisions whose router top-k set is ambiguous (probabilities at rank k and k+1 within {@link
   * #NEAR_TIE}).
   */
  public long topKTies(int layer) {
    return topKTies[layer];
  }

  /** Unweighted mean of {@link #top1Accuracy} over layers. */
  public double averageTop1Accuracy() {
    return averageHitRate(1);
  }

  /** Unweighted mean of {@link #hitRate} over layers. */
  public double averageHitRate(int k) {
    double s = 0;
    for (int l = 0; l < layers; l++) {
      s += hitRate(l, k);
    }
    return s / layers;
  }

  /** Unweighted mean of {@link #recall} over layers. */
  public double averageRecall() {
    double s = 0;
    for (int l = 0; l < layers; l++) {
      s += recall(l);
    }
    return s / layers;
  }

  private static double ratio(long a, long b) {
    return b == 0 ? Double.NaN : (double) a / b;
  }

  /** A text table, one row per layer and an average row; rates in percent. */
  public String table(String title) {
    StringBuilder sb = new StringBuilder();
    sb.append(title).append('\n');
    sb.append(String.format(Locale.ROOT, "%-7s %9s %7s", "layer", "decisions", "top1"));
    for (int k = 1; k <= maxK; k++) {
      sb.append(String.format(Locale.ROOT, " %7s", "hit@" + k));
    }
    sb.append(String.format(Locale.ROOT, " %9s %6s %6s%n", "recall@" + topK, "ties1", "tiesK"));
    long total = 0;
    long ties1 = 0;
    long tiesK = 0;
    for (int l = 0; l < layers; l++) {
      sb.append(
          String.format(Locale.ROOT, "%-7d %9d %7.2f", l, decisions[l], 100 * top1Accuracy(l)));
      for (int k = 1; k <= maxK; k++) {
        sb.append(String.format(Locale.ROOT, " %7.2f", 100 * hitRate(l, k)));
      }
      sb.append(
          String.format(
              Locale.ROOT, " %9.2f %6d %6d%n", 100 * recall(l), top1Ties[l], topKTies[l]));
      total += decisions[l];
      ties1 += top1Ties[l];
      tiesK += topKTies[l];
    }
    sb.append(
        String.format(
            Locale.ROOT, "%-7s %9d %7.2f", "average", total, 100 * averageTop1Accuracy()));
    for (int k = 1; k <= maxK; k++) {
      sb.append(String.format(Locale.ROOT, " %7.2f", 100 * averageHitRate(k)));
    }
    sb.append(String.format(Locale.ROOT, " %9.2f %6d %6d%n", 100 * averageRecall(), ties1, tiesK));
    return sb.toString();
  }

  /** The results as a JSON object (rates as fractions). */
  public String toJson(String name) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n  \"predictor\": ").append(quote(name));
    sb.append(",\n  \"top_k\": ").append(topK);
    sb.append(",\n  \"max_hit_k\": ").append(maxK);
    sb.append(",\n  \"near_tie\": ").append(NEAR_TIE);
    sb.append(",\n  \"layers\": [");
    for (int l = 0; l < layers; l++) {
      sb.append(l == 0 ? "\n" : ",\n");
      sb.append("    {\"layer\": ").append(l).append(", \"decisions\": ").append(decisions[l]);
      sb.append(", \"top1_accuracy\": ").append(num(top1Accuracy(l)));
      sb.append(", \"hit_at_k\": [");
      for (int k = 1; k <= maxK; k++) {
        sb.append(k == 1 ? "" : ", ").append(num(hitRate(l, k)));
      }
      sb.append("], \"recall\": ").append(num(recall(l)));
      sb.append(", \"top1_near_ties\": ").append(top1Ties[l]);
      sb.append(", \"topk_near_ties\": ").append(topKTies[l]).append('}');
    }
    sb.append("\n  ],\n  \"average\": {\"top1_accuracy\": ").append(num(averageTop1Accuracy()));
    sb.append(", \"hit_at_k\": [");
    for (int k = 1; k <= maxK; k++) {
      sb.append(k == 1 ? "" : ", ").append(num(averageHitRate(k)));
    }
    sb.append("], \"recall\": ").append(num(averageRecall())).append("}\n}\n");
    return sb.toString();
  }

  /** Writes {@link #toJson} to {@code file}. */
  public void writeJson(Path file, String name) throws IOException {
    Files.writeString(file, toJson(name), StandardCharsets.UTF_8);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.6f", v);
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
