package dev.ringmoe.hash.baseline;

import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.trace.TraceSequence;

/**
 * Predicts a whole sequence's routing offline, from a recorded trace: the interface baselines and
 * learned predictors (the SiDA hash network) share for evaluation with {@link
 * dev.ringmoe.hash.eval.PredictorEvaluation}.
 *
 * <p>A predictor may use only what it would have at run time: a hash network the token ids and
 * embeddings, gate lookahead the hidden states ({@link TraceSequence#hiddenBeforeMoe()}); only
 * {@link OraclePredictor} reads the router logits.
 */
@FunctionalInterface
public interface SequencePredictor {
  /** Scores for every token, layer and expert of {@code seq}. */
  RoutingPrediction predict(TraceSequence seq);

  /**
   * Whether {@link #predict} reads {@link TraceSequence#hiddenBeforeMoe()} (traces must then record
   * it).
   */
  default boolean readsHiddenStates() {
    return false;
  }

  /** A short name for tables and JSON. */
  default String name() {
    return getClass().getSimpleName();
  }
}
