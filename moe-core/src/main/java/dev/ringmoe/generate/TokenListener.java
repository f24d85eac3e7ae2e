package dev.ringmoe.generate;

/**
 * Receives each generated token as soon as it is chosen, on the generating thread. {@code text} is
 * the new piece of decoded text (possibly empty while a multi-byte character is incomplete), or
 * empty when no tokenizer is present.
 */
@FunctionalInterface
public interface TokenListener {
  void onToken(int tokenId, String text);

  /** A listener that ignores every token. */
  TokenListener NONE = (id, text) -> {};
}
