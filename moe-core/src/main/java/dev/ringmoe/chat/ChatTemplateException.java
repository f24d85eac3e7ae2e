package dev.ringmoe.chat;

/**
 * Thrown when a chat template cannot be loaded or rendered: a malformed checkpoint file, a syntax
 * error (the message names the line), a construct the engine does not support (the message names it
 * and the line), a runtime type error of the template (what Python would raise as {@code
 * TypeError}), a loop or recursion bound exceeded, or the template's own {@code
 * raise_exception(...)} call.
 *
 * <p>{@link #origin()} names the file the template came from; the message starts with it. For
 * {@code raise_exception} the {@linkplain #templateMessage() template's message} is the exact
 * argument, and {@link #raisedByTemplate()} is true: the conversation was rejected by the template
 * (a client error, HTTP 400), not the template by the engine.
 */
public final class ChatTemplateException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String origin;
  private final boolean raisedByTemplate;
  private final String templateMessage;

  /**
   * @param origin the file the template came from (for example {@code chat_template in
   *     tokenizer_config.json})
   * @param message what is wrong
   * @param raisedByTemplate true for the template's own {@code raise_exception(...)}
   * @param cause the underlying failure, or null
   */
  ChatTemplateException(String origin, String message, boolean raisedByTemplate, Throwable cause) {
    super(origin + ": " + message, cause);
    this.origin = origin;
    this.raisedByTemplate = raisedByTemplate;
    this.templateMessage = message;
  }

  /**
   * @return the file the template came from
   */
  public String origin() {
    return origin;
  }

  /**
   * @return true when the template itself raised ({@code raise_exception(...)}): the input
   *     conversation is what the template rejects
   */
  public boolean raisedByTemplate() {
    return raisedByTemplate;
  }

  /**
   * @return the message without the origin prefix; for {@code raise_exception(msg)} exactly {@code
   *     msg}
   */
  public String templateMessage() {
    return templateMessage;
  }
}
