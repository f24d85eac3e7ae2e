package dev.ringmoe;

import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.generate.TokenStream;
import java.util.Optional;

/**
 * A model that generates from token ids: a decoder-only {@link MoeModel} continues the prompt; an
 * encoder-decoder ({@link dev.ringmoe.seq2seq.EncoderDecoderModel}) encodes it and generates from
 * its {@code decoder_start_token_id}. What a tool that only generates and reads the store's
 * statistics (a benchmark, a server) needs of either.
 *
 * <p>Implementations serialise calls and free their native memory on {@link #close()}.
 */
public interface TokenGenerator extends AutoCloseable {
  /**
   * Generates after {@code promptIds} as {@code options} say, telling {@code listener} each token.
   */
  GenerationResult generate(int[] promptIds, GenerationOptions options, TokenListener listener);

  /** As {@link #generate(int[], GenerationOptions, TokenListener)} without a listener. */
  default GenerationResult generate(int[] promptIds, GenerationOptions options) {
    return generate(promptIds, options, TokenListener.NONE);
  }

  /**
   * Starts generating after {@code promptIds} on a new daemon thread ({@code ringmoe-stream-N}) and
   * returns the tokens to pull as they come; see {@link TokenStream} for cancelling and failures.
   * The ids and options are checked as {@link #generate} checks them, but the failure surfaces from
   * the stream's {@link TokenStream#hasNext()}. Close the stream before the next call on this
   * generator (calls are serialised: the next one waits until the stream's generation ends).
   */
  default TokenStream stream(int[] promptIds, GenerationOptions options) {
    return new ThreadedTokenStream(listener -> generate(promptIds, options, listener));
  }

  /** What the streaming store moved and waited for; empty when the weights are resident. */
  Optional<RingStats> ringStats();

  /** Zeroes the counters behind {@link #ringStats()}. */
  void resetStats();

  @Override
  void close();
}
