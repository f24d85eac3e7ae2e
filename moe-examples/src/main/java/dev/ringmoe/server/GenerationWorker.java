package dev.ringmoe.server;

import com.google.common.util.concurrent.Uninterruptibles;
import dev.ringmoe.MoeModel;
import dev.ringmoe.RingStats;
import dev.ringmoe.generate.GeneratedToken;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenStream;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that runs the model: takes jobs from a bounded queue in arrival order and pulls
 * each generation's tokens through a {@link TokenStream}. A client that goes away mid-stream (a
 * write fails) cancels its generation at once, so the next job starts promptly.
 *
 * <p>Thread-safety: {@link #submit} and the accessors may be called from any thread; the model is
 * touched by the worker thread only (and by {@link #close()} after the worker has ended).
 */
final class GenerationWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationWorker.class);

  private final MoeModel model;
  private final BlockingQueue<Job> queue;
  private final Metrics metrics;
  private final Thread thread;
  private volatile boolean stopping;
  private volatile TokenStream current;
  private volatile Job currentJob;
  private volatile Optional<RingStats> ringStats;
  // Tests hold the worker before it takes the next job, to fill the queue deterministically.
  private volatile CountDownLatch hold;
  private volatile CountDownLatch held;

  GenerationWorker(MoeModel model, int capacity, Metrics metrics) {
    this.model = model;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.metrics = metrics;
    this.ringStats = model.ringStats();
    this.thread = new Thread(this::run, "ringmoe-server-worker");
    thread.setDaemon(false);
  }

  void start() {
    thread.start();
  }

  /** Queues {@code job}, or refuses it at once (503) when the queue is full or the server stops. */
  void submit(Job job) {
    if (stopping) {
      throw ApiException.unavailable("the server is shutting down");
    }
    if (!queue.offer(job)) {
      throw ApiException.unavailable(
          "the server is busy: "
              + queue.size()
              + " requests are already queued (--queue); retry later");
    }
    if (stopping && queue.remove(job)) { // close() raced with the offer
      throw ApiException.unavailable("the server is shutting down");
    }
  }

  int queueDepth() {
    return queue.size();
  }

  int queueCapacity() {
    return queue.size() + queue.remainingCapacity();
  }

  /** The ring's statistics as of the last finished job (reading them live would wait for it). */
  Optional<RingStats> ringStats() {
    return ringStats;
  }

  /**
   * Test hook: the worker waits for {@code release} before it takes its next job; returns once it
   * waits there (so that every request sent afterwards stays in the queue until released).
   */
  void holdBeforeNextJob(CountDownLatch release) throws InterruptedException {
    CountDownLatch waiting = new CountDownLatch(1);
    held = waiting;
    hold = release;
    waiting.await();
  }

  private void run() {
    try {
      while (!stopping) {
        CountDownLatch h = hold;
        if (h != null) {
          held.countDown();
          h.await();
          hold = null;
        }
        // Polled, not interrupted out of take(): an interrupt during a generation would close the
        // checkpoint's file channels under the model.
        Job job = queue.poll(200, TimeUnit.MILLISECONDS);
        if (job == null) {
          continue;
        }
        if (stopping) {
          refuse(job);
          break;
        }
        currentJob = job;
        try {
          runJob(job);
        } finally {
          currentJob = null;
          job.done().complete(null);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // nobody else interrupts this thread; end it
    } finally {
      stopping = true; // also if this thread ends unexpectedly: submit() refuses from now on
      for (Job job; (job = queue.poll()) != null; ) {
        refuse(job);
      }
    }
  }

  private static void refuse(Job job) {
    job.output().fail(ApiException.unavailable("the server is shutting down"));
    job.done().complete(null);
  }

  private void runJob(Job job) {
    CompletionRequest request = job.request();
    Job.Output out = job.output();
    TokenStream stream;
    try {
      stream = model.stream(request.promptIds(), request.options());
    } catch (IllegalArgumentException e) {
      // the model's own checks (the KV positions a device budget leaves, for one)
      String message = e.getMessage() == null ? "invalid request" : e.getMessage();
      out.fail(
          ApiException.badRequest(
              null, message.contains("positions") ? "context_length_exceeded" : null, message));
      return;
    } catch (RuntimeException | Error e) {
      LOG.error("could not start a generation", e);
      out.fail(ApiException.internal("the generation failed: " + describe(e)));
      metrics.generation("error", 0, 0);
      return;
    }
    current = stream;
    int generated = 0;
    try {
      try {
        out.start();
        while (stream.hasNext()) {
          GeneratedToken token = stream.next();
          generated++;
          if (stopping) {
            stream.close();
            break;
          }
          if (!token.text().isEmpty()) {
            out.text(token.text());
          }
        }
      } catch (IOException clientGone) {
        LOG.debug("client went away after {} tokens; cancelling", generated, clientGone);
        stream.close();
        metrics.generation("cancelled", request.promptLength(), generated);
        return;
      }
      GenerationResult result = stream.result();
      if (result.stopReason() == GenerationResult.StopReason.CANCELLED) { // only close() cancels
        metrics.generation("cancelled", request.promptLength(), generated);
        out.fail(ApiException.unavailable("the server is shutting down"));
        return;
      }
      String finish = finishReason(result.stopReason());
      int completion = result.generatedIds().length;
      metrics.generation(finish, request.promptLength(), completion);
      try {
        out.finish(finish, request.promptLength(), completion);
      } catch (IOException clientGone) {
        LOG.debug("client went away before the end of its response", clientGone);
      }
    } catch (RuntimeException | Error e) { // an OutOfMemoryError fails this request, not the server
      LOG.error("generation failed after {} tokens", generated, e);
      stream.close();
      metrics.generation("error", request.promptLength(), generated);
      out.fail(ApiException.internal("the generation failed: " + describe(e)));
    } finally {
      current = null;
      stream.close();
      ringStats = model.ringStats();
    }
  }

  static String finishReason(GenerationResult.StopReason reason) {
    switch (reason) {
      case EOS:
      case STOP_SEQUENCE:
        return "stop";
      case MAX_NEW_TOKENS:
      case MAX_POSITIONS:
        return "length";
      default:
        return reason.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ");
  }

  /**
   * Stops taking jobs, refuses the queued ones (503), cancels the running generation at its next
   * token and waits for the worker thread to end. Idempotent. Does not close the model.
   */
  @Override
  public void close() {
    stopping = true;
    Job job = currentJob;
    if (job != null) {
      job.output().abort(); // a stream's worker waiting for a slow client gives up at once
    }
    TokenStream running = current;
    if (running != null) {
      running.close(); // cancels now rather than at the next token the worker reads
    }
    CountDownLatch h = hold;
    if (h != null) {
      while (h.getCount() > 0) {
        h.countDown();
      }
    }
    Uninterruptibles.joinUninterruptibly(thread); // an interrupt is kept for the caller
  }
}
