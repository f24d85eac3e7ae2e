package dev.ringmoe.hash.baseline;

import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.trace.TraceSequence;

/**
 * The true routing: scores are the recorded router logits, so every metric is at its upper bound. For checking the
 * evaluation and bounding others; there is no run-time counterpart (the router's output is not known before the
 * layer runs).
 */
public final class OraclePredictor implements SequencePredictor {
  @Override
  public RoutingPrediction predict(TraceSequence seq) {
    return new RoutingPrediction(seq.tokens(), seq.layers(), seq.experts(), seq.routerLogits().clone());
  }

  @Override
  public String name() {
    return "oracle";
  }
}
