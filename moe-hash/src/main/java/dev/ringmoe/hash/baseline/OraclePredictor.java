package dev.ringmoe.hash.baseline;

import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.tensor.VectorMath;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The true routing: scores are the recorded router logits, so every metric is at its upper bound.
 * For checking the evaluation and bounding others. The router's output is not known before a layer
 * runs, so at run time the oracle is a replay ({@link #replay}): it knows the routing of one
 * recorded sequence and predicts it for a run over the same tokens (a benchmark repeating a greedy
 * generation, for example), as the upper bound for what prediction can save.
 */
public final class OraclePredictor implements SequencePredictor {
  /**
   * A run-time predictor that replays {@code recorded}'s routing: for a pass whose tokens are those
   * of the recording at the same positions it predicts exactly the experts the router chose there
   * (each token's top-{@code topK}, the union over the pass); for any other pass it has no opinion.
   * Works from the token ids, so a store runs it ahead on its prediction thread. Stateless and
   * thread-safe.
   */
  public static ExpertPredictor replay(TraceSequence recorded, int topK) {
    int[] ids = recorded.tokenIds();
    return new ExpertPredictor() {
      @Override
      public BitSet predict(LayerInput input) {
        int[] pass = input.tokenIds();
        int from = input.position();
        if (input.routingLayer() < 0) {
          return null;
        }
        if (from + pass.length > ids.length
            || !Arrays.equals(pass, 0, pass.length, ids, from, from + pass.length)) {
          return null;
        }
        BitSet out = new BitSet(recorded.experts());
        for (int t = 0; t < pass.length; t++) {
          int offset = recorded.logitsOffset(from + t, input.routingLayer());
          for (int e : VectorMath.topK(recorded.routerLogits(), offset, recorded.experts(), topK)) {
            out.set(e);
          }
        }
        return out;
      }

      @Override
      public boolean needsHiddenState() {
        return false;
      }
    };
  }

  @Override
  public RoutingPrediction predict(TraceSequence seq) {
    return new RoutingPrediction(
        seq.tokens(), seq.layers(), seq.experts(), seq.routerLogits().clone());
  }

  @Override
  public String name() {
    return "oracle";
  }
}
