package dev.ringmoe;

/** Who decides which experts run. */
public enum RoutingMode {
  /**
   * The model's router decides (the default): predictions only choose what is loaded ahead, a
   * missed expert is loaded on demand, and the logits equal the all-resident run.
   */
  EXACT,
  /**
   * SiDA's mode: the router is skipped, and the experts a {@link
   * dev.ringmoe.model.RoutingPredictor} predicts run with its predicted probabilities as gate
   * weights (top-k of the predicted distribution, renormalised when the model's gate renormalises).
   * Nothing waits for a router, so loads can start before a layer runs; a wrong prediction costs
   * accuracy instead of time. Approximate: measure its perplexity before relying on it.
   */
  SIDA
}
