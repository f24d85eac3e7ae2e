package dev.ringmoe.ring;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One section's copy into one slot assignment: claimed once by the copy thread, completed when the
 * bytes are in place (or failed with the copy's exception), waited for by compute.
 *
 * <p>A load that could not be queued (the caller was interrupted, or the copy engine is gone) is
 * {@linkplain #abandon abandoned}: claimed by the failing caller, so no copy thread ever runs it,
 * and failed, so nobody waits for it. Stores never treat a {@linkplain #failed() failed} load as
 * holding its section: they replace it with a new load when the section is needed again.
 */
final class Load {
  /** The dense section's index; experts use their expert id. */
  static final int DENSE = -1;

  final LoadTarget slot;
  final int generation;
  final int layer;
  final int section;
  final CompletableFuture<Void> done = new CompletableFuture<>();
  private final AtomicBoolean claimed = new AtomicBoolean();

  /** Enqueued ahead of need (a prediction or a whole-layer prefetch), not on demand. */
  volatile boolean prefetched;

  /** The router chose this section's expert during this assignment. */
  volatile boolean used;

  /** Accepted by the copy queue at least once (set by {@link CopyEngine}). */
  volatile boolean offered;

  Load(LoadTarget slot, int generation, int layer, int section) {
    this.slot = slot;
    this.generation = generation;
    this.layer = layer;
    this.section = section;
  }

  /** True for the one caller that gets to perform the copy. */
  boolean claim() {
    return claimed.compareAndSet(false, true);
  }

  boolean queued() {
    return claimed.get() || done.isDone();
  }

  /**
   * Fails a load that was not queued, unless a copy thread has claimed it already (then that copy
   * completes it).
   *
   * @return whether the load is now failed with {@code failure}
   */
  boolean abandon(RuntimeException failure) {
    if (!claim()) {
      return false;
    }
    done.completeExceptionally(failure);
    return true;
  }

  /** The copy failed, was cancelled or was abandoned: the slot does not hold this section. */
  boolean failed() {
    return done.isCompletedExceptionally();
  }

  /** Claimed by a copy thread and not finished: its bytes may still be being written. */
  boolean inFlight() {
    return claimed.get() && !done.isDone();
  }

  /** Whether the slot still holds this assignment (a stale copy must not run). */
  boolean current() {
    return slot.generation() == generation;
  }

  /**
   * Waits for the copy, adding the wait to {@code stallNanos}; polls the copy threads' liveness so
   * that a dead copy thread fails the wait instead of hanging it.
   *
   * @throws RingException if the copy failed (with its cause), was cancelled, or the wait was
   *     interrupted
   */
  void await(CopyEngine engine, AtomicLong stallNanos) {
    if (!done.isDone() && !offered) {
      // Every load is offered, or abandoned, before anyone waits for it: waiting here would never
      // end.
      throw new IllegalStateException(this + " was never queued for copying");
    }
    if (!done.isDone()) {
      long start = System.nanoTime();
      try {
        while (true) {
          try {
            done.get(50, TimeUnit.MILLISECONDS);
            break;
          } catch (TimeoutException e) {
            engine.checkAlive();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RingException("interrupted while waiting for " + this, e);
      } catch (ExecutionException | CancellationException e) {
        // reported below
      } finally {
        stallNanos.addAndGet(System.nanoTime() - start);
      }
    }
    if (done.isCompletedExceptionally()) {
      try {
        done.join();
      } catch (CancellationException e) {
        throw new RingException("the copy of " + this + " was cancelled", e);
      } catch (CompletionException e) {
        Throwable cause = e.getCause();
        throw new RingException("copying " + this + " failed: " + cause.getMessage(), cause);
      }
    }
  }

  @Override
  public String toString() {
    return "layer "
        + layer
        + (section == DENSE ? " dense" : " expert " + section)
        + " -> slot "
        + slot.index();
  }
}
