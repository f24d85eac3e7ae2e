package dev.ringmoe.tokenizer;

import java.io.IOException;

/**
 * Thrown when a checkpoint's tokenizer files are missing, unreadable or inconsistent (for example,
 * no {@code tokenizer.json} in the checkpoint directory, or a {@code tokenizer_config.json} that is
 * not valid JSON).
 *
 * <p>The message always names the offending file and what was expected of it.
 */
public class TokenizerException extends IOException {

  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong, naming the file concerned
   */
  public TokenizerException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong, naming the file concerned
   * @param cause the underlying failure
   */
  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
