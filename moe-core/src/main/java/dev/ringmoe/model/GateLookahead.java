package dev.ringmoe.model;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.moe.Router;
import dev.ringmoe.moe.Routing;
import dev.ringmoe.tensor.Tensors;
import java.util.BitSet;

/**
 * {@link ExpertPredictor#gateLookahead()}: the layer's router applied to the state entering the
 * layer.
 */
final class GateLookahead implements ExpertPredictor {
  static final GateLookahead INSTANCE = new GateLookahead();

  private GateLookahead() {}

  @Override
  public BitSet predict(LayerInput input) {
    LayerWeights w = input.weights();
    if (w == null || !w.has(Role.ROUTER)) {
      return null; // not loaded yet, or a dense layer: nothing to route
    }
    ModelConfig c = input.config();
    int h = c.hiddenSize();
    int experts = c.experts();
    int tokens = input.tokens();
    float[] normed = new float[tokens * h];
    RmsNorm.apply(input.hidden(), normed, w.postAttentionNorm(), tokens, h, c.rmsNormEps());
    float[] row = new float[h];
    float[] logits = new float[experts];
    Router gate = Decoder.router(c);
    float[] bias = w.has(Role.ROUTER_BIAS) ? w.vector(Role.ROUTER_BIAS) : null;
    Routing routing = new Routing(1, c.topK());
    BitSet expected = new BitSet(experts);
    for (int t = 0; t < tokens; t++) {
      for (int e = 0; e < experts; e++) {
        Tensors.readRow(w.router(), e, row, 0);
        float s = 0f;
        for (int i = 0; i < h; i++) {
          s += row[i] * normed[t * h + i];
        }
        logits[e] = bias != null ? s + bias[e] : s;
      }
      gate.route(logits, routing);
      expected.or(routing.used());
    }
    return expected;
  }
}
