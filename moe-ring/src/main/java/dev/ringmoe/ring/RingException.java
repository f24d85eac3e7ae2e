package dev.ringmoe.ring;

/**
 * A failure of the weight ring surfaced in the calling thread: a copy that failed (a shard
 * truncated or removed after the model opened it, for example), a copy thread that died, or use
 * after close. The cause, when there is one, is the original exception from the copy thread.
 *
 * <p>Also thrown when the calling thread is interrupted while it queues a copy, waits for one,
 * waits for a free expert slot or hands a pass to the prediction thread: the message then says
 * "interrupted", the cause is the {@link InterruptedException}, and the thread's interrupt flag is
 * set again. The store stays consistent: the next call on the model gives the exact result.
 */
public final class RingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RingException(String message) {
    super(message);
  }

  public RingException(String message, Throwable cause) {
    super(message, cause);
  }
}
