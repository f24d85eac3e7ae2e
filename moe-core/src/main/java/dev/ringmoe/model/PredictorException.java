package dev.ringmoe.model;

/**
 * The {@link ExpertPredictor} failed during a forward pass: it threw, or the thread running it
 * ahead of inference died. The cause is the predictor's own exception or error.
 *
 * <p>A predictor only decides what is loaded ahead, so its failure never changes what the pass
 * computes: the store stops asking the predictor for the rest of that pass, loads whatever the
 * router chooses on demand (in {@link dev.ringmoe.RoutingMode#SIDA} the router takes over from the
 * failed prediction), finishes the pass, and then throws this exception to the caller instead of
 * returning, so that a broken predictor is never silent. The model stays usable; the next request
 * asks the predictor again (on a new prediction thread if the old one died).
 */
public final class PredictorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PredictorException(String message, Throwable cause) {
    super(message, cause);
  }
}
