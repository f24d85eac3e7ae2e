package dev.ringmoe.generate;

/**
 * Receives each generated token as soon as it is chosen, on the generating thread. {@code text} is
 * the new piece of decoded text, or empty: while a multi-byte character is incomplete, while the
 * text could still be the start of a stop sequence ({@link GenerationOptions#stop()}; it comes with
 * a later token once it cannot, and never when it completes one), or when no tokenizer is present.
 * The pieces concatenated are the result's {@link GenerationResult#text()}.
 *
 * <p>To cancel the generation, throw {@link GenerationCancelledException}; any other exception
 * propagates out of {@code generate}.
 */
@FunctionalInterface
public interface TokenListener {
  void onToken(int tokenId, String text);

  /** A listener that ignores every token. */
  TokenListener NONE = (id, text) -> {};
}
