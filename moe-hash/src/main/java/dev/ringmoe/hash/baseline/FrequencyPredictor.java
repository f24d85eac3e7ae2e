package dev.ringmoe.hash.baseline;

import com.google.common.base.Preconditions;
import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.tensor.VectorMath;
import java.util.BitSet;

/**
 * "Keep the popular experts": ranks each layer's experts by how often the router chose them (within
 * its top-k) in a training trace, and predicts that same ranking for every token. As an {@link
 * ExpertPredictor} it expects, for every pass, the {@code runtimeExperts} most used experts of the
 * layer.
 *
 * <p>Immutable and thread-safe once fitted.
 */
public final class FrequencyPredictor implements SequencePredictor, ExpertPredictor {
  private final long[][] counts;
  private final int runtimeExperts;

  /**
   * @param counts [layers][experts] times each expert was among the router's top-k
   * @param runtimeExperts experts per layer the run-time {@link #predict(LayerInput)} returns
   */
  public FrequencyPredictor(long[][] counts, int runtimeExperts) {
    Preconditions.checkArgument(counts.length > 0 && counts[0].length > 0, "no counts");
    Preconditions.checkArgument(
        runtimeExperts > 0 && runtimeExperts <= counts[0].length,
        "run-time experts %s outside 1..%s",
        runtimeExperts,
        counts[0].length);
    this.counts = new long[counts.length][];
    for (int l = 0; l < counts.length; l++) {
      Preconditions.checkArgument(counts[l].length == counts[0].length, "ragged counts");
      this.counts[l] = counts[l].clone();
    }
    this.runtimeExperts = runtimeExperts;
  }

  /**
   * Counts the router's top-{@code topK} choices over {@code training}; the run-time predictor
   * expects {@code topK} experts per layer.
   */
  public static FrequencyPredictor fit(Iterable<TraceSequence> training, int topK) {
    long[][] counts = null;
    for (TraceSequence seq : training) {
      if (counts == null) {
        counts = new long[seq.layers()][seq.experts()];
      }
      Preconditions.checkArgument(
          seq.layers() == counts.length && seq.experts() == counts[0].length,
          "sequences of different shapes");
      for (int t = 0; t < seq.tokens(); t++) {
        for (int l = 0; l < seq.layers(); l++) {
          for (int e :
              VectorMath.topK(seq.routerLogits(), seq.logitsOffset(t, l), seq.experts(), topK)) {
            counts[l][e]++;
          }
        }
      }
    }
    Preconditions.checkArgument(counts != null, "empty training trace");
    return new FrequencyPredictor(counts, topK);
  }

  /** How often each expert of {@code layer} was chosen; a copy. */
  public long[] counts(int layer) {
    return counts[layer].clone();
  }

  /** The experts of {@code layer}, most used first. */
  public int[] ranking(int layer) {
    float[] f = new float[counts[layer].length];
    for (int e = 0; e < f.length; e++) {
      f[e] = counts[layer][e];
    }
    return VectorMath.topK(f, 0, f.length, f.length);
  }

  @Override
  public RoutingPrediction predict(TraceSequence seq) {
    Preconditions.checkArgument(
        seq.layers() == counts.length && seq.experts() == counts[0].length,
        "trace shape %s x %s, fitted on %s x %s",
        seq.layers(),
        seq.experts(),
        counts.length,
        counts[0].length);
    int layers = seq.layers();
    int experts = seq.experts();
    float[] scores = new float[seq.tokens() * layers * experts];
    for (int t = 0; t < seq.tokens(); t++) {
      for (int l = 0; l < layers; l++) {
        for (int e = 0; e < experts; e++) {
          scores[(t * layers + l) * experts + e] = counts[l][e];
        }
      }
    }
    return new RoutingPrediction(seq.tokens(), layers, experts, scores);
  }

  /** The {@code runtimeExperts} most used experts of the layer, whatever the tokens. */
  @Override
  public BitSet predict(LayerInput input) {
    int layer = input.routingLayer();
    if (layer < 0 || layer >= counts.length || input.config().experts() != counts[0].length) {
      return null;
    }
    BitSet out = new BitSet(counts[0].length);
    int[] ranking = ranking(layer);
    for (int j = 0; j < runtimeExperts; j++) {
      out.set(ranking[j]);
    }
    return out;
  }

  @Override
  public String name() {
    return "frequency";
  }
}
