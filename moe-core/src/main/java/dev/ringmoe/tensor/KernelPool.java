package dev.ringmoe.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads that split one matrix product among the cores: the calling thread runs part 0, one
 * daemon worker per other core ({@code ringmoe-kernel-N}) runs the rest. A product is too short
 * (tens of microseconds) for a task queue, so a worker spins briefly for the next one and parks
 * after {@link #SPIN_NANOS} without work: it never spins while the other threads of the process
 * (copy threads, the hash network) need the core for long.
 *
 * <p>One product at a time: a caller that finds the pool busy (another decoder on another thread)
 * runs its product alone instead of waiting. A failure in a worker's part is rethrown to the
 * caller. Thread-safe.
 */
final class KernelPool {
  /** Work in one part of a product. */
  interface Job {
    /** Runs part {@code part} of {@code parts}. */
    void run(int part, int parts);
  }

  private static final long SPIN_NANOS = 200_000;
  static final KernelPool SHARED =
      new KernelPool(Integer.getInteger("ringmoe.kernel.threads", cores()));

  private final Worker[] workers;
  private final ReentrantLock busy = new ReentrantLock();
  private final AtomicInteger remaining = new AtomicInteger();
  private volatile Job job;
  private volatile Throwable failure;

  private KernelPool(int threads) {
    workers = new Worker[Math.max(0, threads - 1)];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].start();
    }
  }

  private static int cores() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** The number of parts a product is split into when the pool is free. */
  int threads() {
    return workers.length + 1;
  }

  /** Runs {@code job} in {@link #threads()} parts, or in one on this thread if the pool is busy. */
  void run(Job job) {
    if (workers.length == 0 || !busy.tryLock()) {
      job.run(0, 1);
      return;
    }
    try {
      int parts = workers.length + 1;
      failure = null;
      remaining.set(workers.length);
      this.job = job;
      for (Worker w : workers) {
        w.offer(job);
      }
      Throwable mine = null;
      try {
        job.run(0, parts);
      } catch (Throwable t) {
        mine = t;
      }
      while (remaining.get() > 0) {
        Thread.onSpinWait();
      }
      this.job = null;
      Throwable theirs = failure;
      if (mine != null || theirs != null) {
        Throwable t = mine != null ? mine : theirs;
        if (t instanceof RuntimeException) {
          throw (RuntimeException) t;
        }
        if (t instanceof Error) {
          throw (Error) t;
        }
        throw new IllegalStateException(t);
      }
    } finally {
      busy.unlock();
    }
  }

  private final class Worker extends Thread {
    private final int part;
    private volatile Job next;
    private volatile boolean parked;

    Worker(int part) {
      super("ringmoe-kernel-" + part);
      this.part = part;
      setDaemon(true);
    }

    void offer(Job j) {
      next = j;
      if (parked) {
        LockSupport.unpark(this);
      }
    }

    @Override
    public void run() {
      while (true) {
        Job j = await();
        next = null;
        try {
          j.run(part, workers.length + 1);
        } catch (Throwable t) {
          failure = t;
        }
        remaining.decrementAndGet();
      }
    }

    private Job await() {
      long start = System.nanoTime();
      while (true) {
        Job j = next;
        if (j != null) {
          return j;
        }
        if (System.nanoTime() - start < SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          parked = true;
          if (next == null) {
            LockSupport.park(this);
          }
          parked = false;
          start = System.nanoTime();
        }
      }
    }
  }
}
