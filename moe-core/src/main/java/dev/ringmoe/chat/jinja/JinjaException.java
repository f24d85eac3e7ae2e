package dev.ringmoe.chat.jinja;

/**
 * A failure of the Jinja engine: a syntax error, an unsupported construct, a runtime error of the
 * template (Python's {@code TypeError}, Jinja's {@code UndefinedError}), a bound exceeded, or the
 * template's own {@code raise_exception(...)}. The message names the line where one is known; for
 * {@link Kind#RAISED} it is exactly the template's argument.
 */
public final class JinjaException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** The template text does not parse. */
    SYNTAX,
    /** A tag, filter, test or feature this engine does not implement. */
    UNSUPPORTED,
    /** An error while rendering (type error, undefined access, bad argument). */
    RUNTIME,
    /** The template's own {@code raise_exception(message)}. */
    RAISED,
    /** A loop, recursion or output bound was exceeded. */
    LIMIT
  }

  private final Kind kind;

  JinjaException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /**
   * @return what went wrong
   */
  public Kind kind() {
    return kind;
  }

  static JinjaException syntax(int line, String what) {
    return new JinjaException(Kind.SYNTAX, "syntax error at line " + line + ": " + what);
  }

  static JinjaException unsupported(int line, String what) {
    return new JinjaException(Kind.UNSUPPORTED, "unsupported " + what + " at line " + line);
  }

  static JinjaException runtime(int line, String what) {
    return new JinjaException(Kind.RUNTIME, what + " (line " + line + ")");
  }
}
