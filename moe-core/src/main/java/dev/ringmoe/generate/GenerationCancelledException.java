package dev.ringmoe.generate;

/**
 * Cancels a generation from its {@link TokenListener}: a listener that throws this from {@link
 * TokenListener#onToken} ends the generation at once, without running another forward pass, and
 * {@code generate} returns normally with {@link GenerationResult.StopReason#CANCELLED}; the result
 * holds the tokens and text the listener accepted before (not the token it refused). Any other
 * exception a listener throws propagates out of {@code generate}.
 *
 * <p>{@link TokenStream} also throws it to a consumer interrupted while waiting for a token.
 */
public class GenerationCancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GenerationCancelledException(String message) {
    super(message);
  }

  public GenerationCancelledException(String message, Throwable cause) {
    super(message, cause);
  }
}
