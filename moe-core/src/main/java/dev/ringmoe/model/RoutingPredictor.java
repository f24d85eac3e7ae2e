package dev.ringmoe.model;

/**
 * An {@link ExpertPredictor} that also predicts the router's full distribution over experts for
 * every token, which {@link dev.ringmoe.RoutingMode#SIDA} uses in place of the router.
 *
 * <p>Called on the decoding thread, before the layer runs.
 */
public interface RoutingPredictor extends ExpertPredictor {
  /**
   * Writes the predicted probabilities over experts of {@code input.layer()} for every token of the
   * pass into {@code out}, row-major [tokens * experts]; each row sums to one.
   */
  void probabilities(LayerInput input, float[] out);
}
