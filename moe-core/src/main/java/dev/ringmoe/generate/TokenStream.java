package dev.ringmoe.generate;

import java.util.Iterator;

/**
 * A generation pulled token by token: {@link #hasNext()} waits for the next token (or the end),
 * {@link #next()} hands it out. The generation runs on its own thread ahead of the caller, at most
 * a few tokens ahead (a small bounded buffer), so a slow consumer slows generation instead of
 * filling memory. The tokens and texts are exactly those a {@link TokenListener} would get from the
 * same generation.
 *
 * <p>Always close it (try-with-resources): {@link #close()} cancels a generation still running at
 * its next token and returns once the model is free for the next call; the result then says {@link
 * GenerationResult.StopReason#CANCELLED} (unless the generation had already ended). A failure of
 * the generation is rethrown to the consumer from {@link #hasNext()} or {@link #next()}; an
 * interrupt of a consumer waiting for a token cancels the generation, keeps the thread's interrupt
 * status and throws {@link GenerationCancelledException}.
 *
 * <p>The generation holds its model while it runs: other calls on the model wait until the stream
 * is read to its end or closed (closing the model cancels it).
 *
 * <p>One consumer thread; {@link #close()} may also be called from another thread.
 */
public interface TokenStream extends Iterator<GeneratedToken>, AutoCloseable {
  /**
   * What the generation produced, once it has ended: after {@link #hasNext()} returned false, or
   * after {@link #close()} (then {@link GenerationResult.StopReason#CANCELLED} with the tokens
   * handed to the stream before, if it was still running).
   *
   * @throws IllegalStateException while the generation is still running
   */
  GenerationResult result();

  /**
   * Cancels the generation if it is still running (at its next token) and waits until it has ended,
   * so that the model is free. Idempotent; afterwards {@link #hasNext()} returns false.
   */
  @Override
  void close();
}
