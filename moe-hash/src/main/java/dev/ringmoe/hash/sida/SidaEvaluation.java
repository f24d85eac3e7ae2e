package dev.ringmoe.hash.sida;

import dev.ringmoe.tensor.VectorMath;
import java.util.List;

/**
 * Hit rate of a predictor: the fraction of (token, layer) pairs where the router's top-1 expert
 * (argmax of the teacher's logits) is among the predictor's top-{@code k} experts; per layer and
 * averaged over layers.
 */
public final class SidaEvaluation {

  private SidaEvaluation() {}

  /** Per-layer hit rates and their mean. */
  public record HitRate(double[] perLayer, double mean, long tokens) {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder(String.format("mean %.2f%% (", 100 * mean));
      for (int l = 0; l < perLayer.length; l++) {
        sb.append(l == 0 ? "" : " / ").append(String.format("%.1f", 100 * perLayer[l]));
      }
      return sb.append(")% over ").append(tokens).append(" tokens").toString();
    }
  }

  public static HitRate hitRate(HashPredictor predictor, List<SidaData.Sequence> data, int k) {
    int layers = predictor.config().layers();
    long[] hits = new long[layers];
    long tokens = 0;
    for (SidaData.Sequence s : data) {
      float[][][] p = predictor.predict(s.ids());
      for (int t = 0; t < s.length(); t++) {
        for (int l = 0; l < layers; l++) {
          int top1 = argmax(s.logits(t, l));
          for (int e : VectorMath.topK(p[t][l], 0, p[t][l].length, k)) {
            if (e == top1) {
              hits[l]++;
              break;
            }
          }
        }
      }
      tokens += s.length();
    }
    double[] per = new double[layers];
    double sum = 0;
    for (int l = 0; l < layers; l++) {
      per[l] = tokens == 0 ? 0 : (double) hits[l] / tokens;
      sum += per[l];
    }
    return new HitRate(per, sum / layers, tokens);
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
