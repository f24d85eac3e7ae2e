package dev.ringmoe.hash.eval;

import com.google.common.base.Preconditions;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.tensor.VectorMath;

/**
 * A predictor's opinion on one sequence: for every token and MoE layer a score per expert, higher
 * meaning more likely to be routed to. Only the order of a token's scores matters (logits,
 * probabilities or counts all work); equal scores rank the lower expert id first.
 */
public final class RoutingPrediction {
  private final int tokens;
  private final int layers;
  private final int experts;
  private final float[] scores;

  /** Wraps {@code scores}, [tokens][layers][experts] row-major (not copied). */
  public RoutingPrediction(int tokens, int layers, int experts, float[] scores) {
    Preconditions.checkArgument(tokens > 0 && layers > 0 && experts > 0, "non-positive dimension");
    Preconditions.checkArgument(
        scores.length == (long) tokens * layers * experts,
        "%s scores for %s x %s x %s",
        scores.length,
        tokens,
        layers,
        experts);
    this.tokens = tokens;
    this.layers = layers;
    this.experts = experts;
    this.scores = scores;
  }

  /** Zero scores of the shape of {@code seq}, to be filled through {@link #scores()}. */
  public static RoutingPrediction zeros(TraceSequence seq) {
    return new RoutingPrediction(
        seq.tokens(),
        seq.layers(),
        seq.experts(),
        new float[seq.tokens() * seq.layers() * seq.experts()]);
  }

  public int tokens() {
    return tokens;
  }

  public int layers() {
    return layers;
  }

  public int experts() {
    return experts;
  }

  /** All scores, [tokens][layers][experts]; shared. */
  public float[] scores() {
    return scores;
  }

  /** Offset of token {@code t}, layer {@code layer} in {@link #scores()}. */
  public int offset(int t, int layer) {
    return (t * layers + layer) * experts;
  }

  public float score(int t, int layer, int expert) {
    return scores[offset(t, layer) + expert];
  }

  /** The {@code k} highest-scoring experts of token {@code t} at {@code layer}, best first. */
  public int[] topK(int t, int layer, int k) {
    return VectorMath.topK(scores, offset(t, layer), experts, k);
  }
}
