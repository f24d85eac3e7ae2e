package dev.ringmoe;

import com.google.common.util.concurrent.Uninterruptibles;
import dev.ringmoe.generate.GeneratedToken;
import dev.ringmoe.generate.GenerationCancelledException;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.generate.TokenStream;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A {@link TokenStream} over a callback generation that runs on its own daemon thread: the listener
 * hands tokens over through a small bounded buffer, and cancels the generation (by throwing {@link
 * GenerationCancelledException}) once the stream is closed. One lock guards the buffer and the end
 * state.
 */
final class ThreadedTokenStream implements TokenStream {
  /** Tokens generated ahead of the consumer at most. */
  static final int CAPACITY = 4;

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<GeneratedToken> buffer = new ArrayDeque<>(CAPACITY);
  private final Thread thread;
  // Guarded by lock.
  private boolean cancelled;
  private boolean closed;
  private boolean done;
  private GenerationResult result;
  private Throwable failure;
  private boolean failureThrown;

  ThreadedTokenStream(Function<TokenListener, GenerationResult> generation) {
    this(generation, s -> {});
  }

  /**
   * @param onEnd told on the generating thread once the generation has ended (its last act), so an
   *     owner that tracks open streams can forget this one
   */
  ThreadedTokenStream(
      Function<TokenListener, GenerationResult> generation, Consumer<ThreadedTokenStream> onEnd) {
    thread =
        new Thread(() -> run(generation, onEnd), "ringmoe-stream-" + THREADS.incrementAndGet());
    thread.setDaemon(true);
    thread.start();
  }

  private void run(
      Function<TokenListener, GenerationResult> generation, Consumer<ThreadedTokenStream> onEnd) {
    try {
      produce(generation);
    } finally {
      onEnd.accept(this);
    }
  }

  private void produce(Function<TokenListener, GenerationResult> generation) {
    GenerationResult r = null;
    Throwable t = null;
    try {
      r = generation.apply(this::offer);
    } catch (Throwable e) {
      t = e;
    }
    lock.lock();
    try {
      result = r;
      failure = t;
      done = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The listener: waits for room in the buffer, or cancels the generation once closed. */
  private void offer(int id, String text) {
    lock.lock();
    try {
      while (!cancelled && buffer.size() == CAPACITY) {
        changed.awaitUninterruptibly();
      }
      if (cancelled) {
        throw new GenerationCancelledException("the token stream was closed");
      }
      buffer.add(new GeneratedToken(id, text));
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean hasNext() {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      while (buffer.isEmpty() && !done && !cancelled) {
        try {
          changed.await();
        } catch (InterruptedException e) {
          cancelled = true;
          changed.signalAll();
          Thread.currentThread().interrupt();
          throw new GenerationCancelledException(
              "interrupted while waiting for the next token; the generation is cancelled", e);
        }
      }
      if (!buffer.isEmpty()) {
        return true;
      }
      if (failure != null && !failureThrown) {
        failureThrown = true;
        throw rethrown(failure);
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public GeneratedToken next() {
    // Held across hasNext() (the lock is reentrant): a close() cannot empty the buffer in between.
    lock.lock();
    try {
      if (!hasNext()) {
        throw new NoSuchElementException("the generation has ended");
      }
      GeneratedToken token = buffer.poll();
      changed.signalAll();
      return token;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public GenerationResult result() {
    lock.lock();
    try {
      if (!done) {
        throw new IllegalStateException(
            "the generation is still running: read the stream to its end or close it first");
      }
      if (failure != null) {
        throw new IllegalStateException("the generation failed: " + failure, failure);
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      if (!done) {
        cancelled = true;
      }
      buffer.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    // The generation stops at its next token; waiting for it frees the model for the next call. An
    // interrupt does not cut this short (the model would still be busy), it is kept for the caller.
    if (Thread.currentThread() != thread) { // closed from its own listener: it ends by returning
      Uninterruptibles.joinUninterruptibly(thread); // an interrupt is kept for the caller
    }
  }

  private static RuntimeException rethrown(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("the generation failed", t);
  }
}
