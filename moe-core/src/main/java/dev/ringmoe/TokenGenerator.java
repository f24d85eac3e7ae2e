package dev.ringmoe;

import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
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

  /** What the streaming store moved and waited for; empty when the weights are resident. */
  Optional<RingStats> ringStats();

  /** Zeroes the counters behind {@link #ringStats()}. */
  void resetStats();

  @Override
  void close();
}
