package dev.ringmoe.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RoutingMode;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** SiDA's mode replaces the router by a predictor's probabilities. */
class SidaRoutingTest {
  /** Predicts exactly what the router would: softmax(router(RMSNorm(hidden))). */
  static final class RouterOracle implements RoutingPredictor {
    @Override
    public BitSet predict(LayerInput input) {
      return null;
    }

    @Override
    public void probabilities(LayerInput input, float[] out) {
      ModelConfig c = input.config();
      int h = c.hiddenSize();
      int e = c.experts();
      float[] normed = new float[input.tokens() * h];
      RmsNorm.apply(
          input.hidden(),
          normed,
          input.weights().postAttentionNorm(),
          input.tokens(),
          h,
          c.rmsNormEps());
      float[] router = new float[e * h];
      for (int x = 0; x < e; x++) {
        Tensors.readRow(input.weights().router(), x, router, x * h);
      }
      for (int t = 0; t < input.tokens(); t++) {
        double max = Double.NEGATIVE_INFINITY;
        double[] logits = new double[e];
        for (int x = 0; x < e; x++) {
          double s = 0;
          for (int i = 0; i < h; i++) {
            s += router[x * h + i] * normed[t * h + i];
          }
          logits[x] = s;
          max = Math.max(max, s);
        }
        double sum = 0;
        for (int x = 0; x < e; x++) {
          sum += Math.exp(logits[x] - max);
        }
        for (int x = 0; x < e; x++) {
          out[t * e + x] = (float) (Math.exp(logits[x] - max) / sum);
        }
      }
    }
  }

  @Test
  void anOraclePredictorReproducesTheRouter() throws IOException {
    Path dir = ReferenceData.moeText16x();
    int[] ids = {1, 415, 2936, 17, 99, 3001, 12, 7, 640, 2048, 5, 33};
    float[][] exact;
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      exact = model.logits(ids);
    }
    float[][] sida;
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .predictor(new RouterOracle())
            .routingMode(RoutingMode.SIDA)
            .build()) {
      sida = model.logits(ids);
    }
    double max = 0;
    for (int t = 0; t < ids.length; t++) {
      for (int v = 0; v < exact[t].length; v++) {
        max = Math.max(max, Math.abs(exact[t][v] - sida[t][v]));
      }
    }
    System.out.printf("SIDA with the router as oracle vs exact: max |diff| %.3g%n", max);
    assertTrue(max < 1e-3, "max diff " + max);
  }

  @Test
  void aUniformPredictorChangesTheOutput() throws IOException {
    Path dir = ReferenceData.mixtralF32();
    int[] ids = {1, 564, 916, 435, 275, 946};
    RoutingPredictor uniform =
        new RoutingPredictor() {
          @Override
          public BitSet predict(LayerInput input) {
            return null;
          }

          @Override
          public void probabilities(LayerInput input, float[] out) {
            Arrays.fill(out, 1f / input.config().experts());
          }
        };
    float[][] exact;
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      exact = model.logits(ids);
    }
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .predictor(uniform)
            .routingMode(RoutingMode.SIDA)
            .build()) {
      float[][] sida = model.logits(ids);
      assertTrue(Math.abs(sida[5][0] - exact[5][0]) + Math.abs(sida[5][1] - exact[5][1]) > 1e-3);
    }
  }

  @Test
  void sidaNeedsARoutingPredictor() {
    assertThrows(
        IllegalStateException.class,
        () ->
            MoeModel.builder()
                .checkpoint(ReferenceData.mixtralF32())
                .predictor(ExpertPredictor.gateLookahead())
                .routingMode(RoutingMode.SIDA)
                .build());
  }
}
