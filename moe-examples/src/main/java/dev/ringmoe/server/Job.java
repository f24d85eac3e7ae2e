package dev.ringmoe.server;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * One queued request: what to generate and where its output goes. The HTTP thread that accepted it
 * waits on {@link #done()}; the worker completes it exactly once, also when the job is refused
 * because the server is stopping.
 */
final class Job {
  private final CompletionRequest request;
  private final Output output;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  Job(CompletionRequest request, Output output) {
    this.request = request;
    this.output = output;
  }

  CompletionRequest request() {
    return request;
  }

  Output output() {
    return output;
  }

  CompletableFuture<Void> done() {
    return done;
  }

  /**
   * Where a job's tokens go: buffered into one JSON response, or written as server-sent events.
   * Called on the worker thread, in the order start, text*, finish (or fail); {@link #abort} from
   * any thread.
   */
  interface Output {
    /** Generation is about to begin; a stream sends its headers and first chunk. */
    void start() throws IOException;

    /** The next piece of text (never empty). */
    void text(String piece) throws IOException;

    /** Generation ended normally. */
    void finish(String finishReason, int promptTokens, int completionTokens) throws IOException;

    /** The job ended with an error; for a stream whose headers are out, an error event. */
    void fail(ApiException error);

    /**
     * From any thread (the server stopping): the output takes nothing more, so a worker waiting to
     * hand over an event fails at once instead of waiting for the client.
     */
    default void abort() {}
  }
}
