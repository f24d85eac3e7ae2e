package dev.ringmoe.generate;

/**
 * One generated token as a {@link TokenStream} hands it out: its id and the text it releases.
 * {@code text} may be empty: a multi-byte character still incomplete, text held back because it
 * could be the start of a stop sequence (released with a later token), or a model without a
 * tokenizer.
 *
 * <p>Immutable.
 */
public final class GeneratedToken {
  private final int id;
  private final String text;

  public GeneratedToken(int id, String text) {
    this.id = id;
    this.text = java.util.Objects.requireNonNull(text, "text");
  }

  public int id() {
    return id;
  }

  /** The text released with this token; never null, possibly empty. */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return id + ":" + text;
  }
}
