package dev.ringmoe.ring;

import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedicated copy thread: takes {@link Load}s from one bounded queue, on-demand loads jumping
 * ahead of prefetches, and performs them with the given copier. A copy that fails completes its
 * load exceptionally, so the compute thread waiting for it sees the failure; the thread itself
 * stays up for the loads after it.
 *
 * <p>Owned by one {@link SectionRing}, which starts it and {@link #close() shuts it down}.
 * Thread-safe.
 */
final class CopyEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CopyEngine.class);

  private final BlockingDeque<Load> queue;
  private final Consumer<Load> copier;
  private final Thread[] threads;
  private volatile boolean closed;

  /**
   * @param name thread name prefix
   * @param threads copy threads; loads run in parallel when there is more than one
   */
  CopyEngine(String name, int threads, int capacity, Consumer<Load> copier) {
    this.queue = new LinkedBlockingDeque<>(capacity);
    this.copier = copier;
    this.threads = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::run, threads == 1 ? name : name + "-" + i);
      t.setDaemon(true);
      this.threads[i] = t;
    }
    for (Thread t : this.threads) {
      t.start();
    }
  }

  /** Queues a load that compute is (or soon will be) waiting for. */
  void demand(Load load) {
    offer(load, true);
  }

  /** Queues a load ahead of need. */
  void prefetch(Load load) {
    offer(load, false);
  }

  /**
   * Waits for room in the queue. If the caller is interrupted or the engine is gone first, the load
   * is {@linkplain Load#abandon abandoned} (failed, and never copied) before the exception is
   * thrown, so that nobody waits for a load that is not in the queue; the caller's interrupt flag
   * stays set.
   *
   * @throws RingException naming the load, saying the caller was interrupted, or that the engine is
   *     closed or dead
   */
  private void offer(Load load, boolean first) {
    try {
      while (!(first
          ? queue.offerFirst(load, 50, TimeUnit.MILLISECONDS)
          : queue.offerLast(load, 50, TimeUnit.MILLISECONDS))) {
        checkAlive();
      }
      load.offered = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      RingException failure = new RingException("interrupted while queueing " + load, e);
      load.abandon(failure);
      throw failure;
    } catch (RingException e) {
      load.abandon(e);
      throw e;
    }
  }

  /** Throws if the copy thread is gone, so that nobody waits for it forever. */
  void checkAlive() {
    if (closed) {
      throw new RingException("the weight ring is closed");
    }
    for (Thread t : threads) {
      if (!t.isAlive()) {
        throw new RingException("the copy thread " + t.getName() + " died");
      }
    }
  }

  private void run() {
    try {
      while (!closed) {
        Load load = queue.pollFirst(100, TimeUnit.MILLISECONDS);
        if (load == null) {
          continue;
        }
        if (!load.claim()) {
          continue; // queued twice (prefetched, then demanded): the first copy already did it
        }
        if (!load.current()) {
          load.done.cancel(false);
          continue;
        }
        try {
          copier.accept(load);
          load.done.complete(null);
        } catch (RuntimeException | Error e) {
          LOG.debug("copy of {} failed", load, e);
          load.done.completeExceptionally(e);
        }
      }
    } catch (InterruptedException e) {
      // nobody interrupts the copy threads (see close()); stop all the same
    }
    failPending();
  }

  private void failPending() {
    for (Load l; (l = queue.poll()) != null; ) {
      l.done.completeExceptionally(
          new RingException("the weight ring was closed before " + l + " was copied"));
    }
  }

  /**
   * Stops the threads after their current copy and fails whatever is still queued. Idempotent.
   *
   * <p>The threads are not interrupted: a thread interrupted inside a {@code FileChannel} operation
   * closes the checkpoint's shared channel (and, with two copy threads, can deadlock inside the
   * JDK's interrupt handling); they see {@code closed} within one poll interval instead.
   */
  @Override
  public void close() {
    closed = true;
    try {
      for (Thread t : threads) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failPending();
  }
}
