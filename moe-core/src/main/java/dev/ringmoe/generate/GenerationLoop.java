package dev.ringmoe.generate;

import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The one generation loop of the project, shared by the decoder-only and the encoder-decoder
 * models: prefill, then pick a token ({@link Sampler}: penalties, greedy or sampling), decode its
 * text, match stop sequences, tell the listener, and run the token through the model, until EOS,
 * {@code maxNewTokens}, the model's positions, a stop sequence or a cancellation.
 *
 * <p>Stateless; {@link #run} works on the caller's thread with the caller's {@link Model}.
 */
public final class GenerationLoop {
  private GenerationLoop() {}

  /** What the loop needs of a model: its forward passes over one sequence. Not thread-safe. */
  public interface Model {
    /** Runs the prompt (or decoder prefix) and returns the next token's logits. */
    float[] prefill();

    /** Runs {@code token} after those already run and returns the next token's logits. */
    float[] next(int token);

    /**
     * Whether the sequence has no room for another token: the token just generated ends it without
     * being run ({@link GenerationResult.StopReason#MAX_POSITIONS}).
     */
    boolean full();
  }

  /** Turns generated ids into text, one token at a time; see the tokenizer's streaming decoder. */
  public interface TextDecoder {
    /** The new text {@code tokenId} completes (possibly empty). */
    String next(int tokenId);

    /** What the decoder still holds back at the end of the sequence. */
    String flush();
  }

  /**
   * Generates as {@code options} say.
   *
   * @param promptIds the result's prompt ids
   * @param context the ids before the first generated one that the repetition penalty counts (the
   *     prompt of a decoder-only model; the decoder prefix of an encoder-decoder)
   * @param model the forward passes; {@link Model#prefill()} is not called when {@code
   *     maxNewTokens} is 0
   * @param isEos which ids end the generation when {@link GenerationOptions#stopAtEos()}
   * @param text the text decoder, or {@code null} for a model without a tokenizer (the text is then
   *     empty and stop sequences never match)
   * @param listener told each token; may cancel with {@link GenerationCancelledException}
   */
  public static GenerationResult run(
      int[] promptIds,
      int[] context,
      GenerationOptions options,
      Model model,
      IntPredicate isEos,
      TextDecoder text,
      TokenListener listener) {
    return run(promptIds, context, options, model, isEos, text, listener, new Sampler(options));
  }

  static GenerationResult run(
      int[] promptIds,
      int[] context,
      GenerationOptions options,
      Model model,
      IntPredicate isEos,
      TextDecoder text,
      TokenListener listener,
      Sampler sampler) {
    Preconditions.checkNotNull(options, "options");
    Preconditions.checkNotNull(listener, "listener");
    sampler.context(context);
    StopMatcher stops = new StopMatcher(text == null ? java.util.List.of() : options.stop());
    StringBuilder generatedText = new StringBuilder();
    // Never sized by maxNewTokens (Integer.MAX_VALUE is a valid "no limit"): grown as tokens come.
    int[] generated = new int[Math.min(options.maxNewTokens(), 64)];
    int count = 0;
    GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_NEW_TOKENS;
    long prefillNanos = 0;
    long decodeStart = 0;
    if (options.maxNewTokens() > 0) {
      long start = System.nanoTime();
      float[] logits = model.prefill();
      prefillNanos = System.nanoTime() - start;
      decodeStart = System.nanoTime();
      while (true) {
        int next = sampler.next(logits);
        GenerationResult.StopReason end = null;
        if (options.stopAtEos() && isEos.test(next)) {
          end = GenerationResult.StopReason.EOS;
        } else if (count + 1 == options.maxNewTokens()) {
          end = GenerationResult.StopReason.MAX_NEW_TOKENS;
        } else if (model.full()) {
          end = GenerationResult.StopReason.MAX_POSITIONS;
        }
        String piece = "";
        if (text != null) {
          String decoded = text.next(next);
          if (end != null) {
            decoded += text.flush(); // an unfinished run of byte tokens
          }
          piece = stops.accept(decoded);
          if (stops.stopped()) {
            end = GenerationResult.StopReason.STOP_SEQUENCE;
          } else if (end != null) {
            piece += stops.flush(); // generation ends: what could have started a stop is text
          }
        }
        try {
          listener.onToken(next, piece);
        } catch (GenerationCancelledException e) {
          reason = GenerationResult.StopReason.CANCELLED;
          break;
        }
        if (count == generated.length) {
          generated = Arrays.copyOf(generated, (int) Math.min(options.maxNewTokens(), 2L * count));
        }
        generated[count++] = next;
        generatedText.append(piece);
        if (end != null) {
          reason = end;
          break;
        }
        logits = model.next(next);
      }
    }
    long decodeNanos = count > 0 ? System.nanoTime() - decodeStart : 0;
    return new GenerationResult(
        promptIds,
        Arrays.copyOf(generated, count),
        generatedText.toString(),
        reason,
        prefillNanos,
        decodeNanos);
  }
}
