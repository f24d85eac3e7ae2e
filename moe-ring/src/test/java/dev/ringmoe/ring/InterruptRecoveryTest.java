package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.TokenListener;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Interrupting a thread inside {@code generate()} on a streaming model, the way issue 8 found a
 * hang: the interrupt lands anywhere (queueing a copy, waiting for one, waiting for a slot, handing
 * a pass to the hash thread, computing), and the interrupted call either completes or fails with an
 * exception that says it was interrupted, with the thread's interrupt flag set; the next call on
 * the same model never hangs and returns the resident logits bit for bit. Before the fix the expert
 * cache hung in {@code Load.await} on a load registered but never queued.
 */
class InterruptRecoveryTest {
  private static final int[] PROMPT = {1, 415, 29, 17, 99, 301, 12, 7};
  private static final GenerationOptions OPTIONS =
      GenerationOptions.builder().maxNewTokens(3).stopAtEos(false).build();
  private static Path dir;
  private static float[][] expected;

  @BeforeAll
  static void resident() throws IOException {
    dir = ReferenceData.mixtralBf16();
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      expected = resident.logits(PROMPT);
    }
  }

  /** What the interrupted thread saw. */
  private static final class Outcome {
    volatile Throwable failure;
    volatile boolean flagSetWhenThrown;

    /** How long the call took, when it completed. */
    volatile long nanos;
  }

  private MoeModel open(boolean expertCache, String predictor) throws IOException {
    // A quarter of the weights for the expert cache, as in the report; the layer ring's minimum for
    // mixtral-tiny is
    // 28% (one slot of a whole layer), so it gets 30%: one slot, dense sections streamed.
    MoeModel.Builder b =
        MoeModel.builder()
            .checkpoint(dir)
            .deviceMemoryFraction(expertCache ? 0.25 : 0.3)
            // Short sequences: the default context's KV cache (8 MiB) is more than this small
            // model's quarter.
            .kvPositions(64)
            .expertCache(expertCache);
    switch (predictor) {
      case "none" -> b.prefetch(Prefetch.NONE);
      case "lookahead" -> b.prefetch(Prefetch.LOOKAHEAD);
      case "all" -> b.prefetch(Prefetch.ALL);
      case "tokens" -> b.predictor(ExpertCacheTest.WRONG); // runs on the hash-building thread
      default -> throw new IllegalArgumentException(predictor);
    }
    return b.build();
  }

  @ParameterizedTest(name = "expert cache {0}, predictor {1}")
  @CsvSource({
    "false,none",
    "false,lookahead",
    "false,all",
    "false,tokens",
    "true,none",
    "true,lookahead",
    "true,tokens"
  })
  void anInterruptedGenerateFailsCleanlyAndTheNextCallIsExact(boolean expertCache, String predictor)
      throws Exception {
    int iterations = 50;
    MoeModel model = open(expertCache, predictor);
    long began = System.nanoTime();
    model.generate(PROMPT, OPTIONS, TokenListener.NONE); // warm-up
    long start = System.nanoTime();
    model.generate(PROMPT, OPTIONS, TokenListener.NONE);
    // The delays spread over the duration of an uninterrupted generate(), so that interrupts land
    // in every phase of
    // it; the estimate follows the calls that completed, since the machine's load changes how long
    // one takes.
    long span = Math.max(System.nanoTime() - start, 1_000_000);
    SplittableRandom random =
        new SplittableRandom(8 + (expertCache ? 100 : 0) + predictor.hashCode());
    int interrupted = 0;
    Map<String, Integer> where =
        new TreeMap<>(); // what the interrupted calls were doing, for the log
    for (int i = 0; i < iterations; i++) {
      Outcome outcome = new Outcome();
      CountDownLatch started = new CountDownLatch(1);
      Thread t =
          new Thread(
              () -> {
                started.countDown();
                long t0 = System.nanoTime();
                try {
                  model.generate(PROMPT, OPTIONS, TokenListener.NONE);
                  outcome.nanos = System.nanoTime() - t0;
                } catch (Throwable e) {
                  outcome.flagSetWhenThrown = Thread.currentThread().isInterrupted();
                  outcome.failure = e;
                }
              },
              "interrupted-generate-" + i);
      t.setDaemon(true);
      long delay = random.nextLong(span);
      t.start();
      started.await();
      LockSupport.parkNanos(delay);
      t.interrupt();
      t.join(60_000);
      String at =
          String.format(Locale.ROOT, "iteration %d (interrupt after %.2f ms)", i, delay / 1e6);
      if (t.isAlive()) {
        fail(at + ": the interrupted generate() hangs:\n" + stack(t));
      }
      Throwable e = outcome.failure;
      if (e != null) {
        interrupted++;
        where.merge(
            String.valueOf(e.getMessage()).replaceAll("layer \\d+.*", "layer ..."),
            1,
            Integer::sum);
        if (!saysInterrupted(e)) {
          throw new AssertionError(
              at + ": failed with an exception that does not say it was interrupted", e);
        }
        assertTrue(outcome.flagSetWhenThrown, at + ": the interrupt flag was cleared: " + e);
      } else {
        span = Math.max((span + outcome.nanos) / 2, 1_000_000);
      }
      float[][] next =
          assertTimeoutPreemptively(
              Duration.ofSeconds(60), () -> model.logits(PROMPT), at + ": the next logits() hangs");
      assertEquals(
          0.0, ReferenceData.maxAbsDiff(expected, next), at + ": the next logits() is not exact");
    }
    System.out.printf(
        Locale.ROOT,
        "expert cache %s, predictor %s: %d of %d interrupted calls failed, generate %.1f"
            + " ms, %.1f s in all; %s%n",
        expertCache,
        predictor,
        interrupted,
        iterations,
        span / 1e6,
        (System.nanoTime() - began) / 1e9,
        where);
    model.close(); // only when nothing hangs: a hung call holds the model's lock
  }

  /**
   * The same without timing: a call made with the interrupt flag already set fails at its first
   * wait or queueing (for the expert cache, right after registering a demanded load: the hang of
   * issue 8), and the next call is exact.
   */
  @ParameterizedTest(name = "expert cache {0}, predictor {1}")
  @CsvSource({
    "false,none",
    "false,lookahead",
    "false,all",
    "false,tokens",
    "true,none",
    "true,lookahead",
    "true,tokens"
  })
  void aCallMadeWhileInterruptedFailsAndTheNextCallIsExact(boolean expertCache, String predictor)
      throws Exception {
    MoeModel model = open(expertCache, predictor);
    for (int i = 0; i < 3; i++) {
      RingException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(60),
              () -> {
                Thread.currentThread().interrupt(); // the call runs on the timeout's thread
                try {
                  return assertThrows(RingException.class, () -> model.logits(PROMPT));
                } finally {
                  assertTrue(
                      Thread.interrupted(),
                      "the interrupt flag was cleared"); // and clear it for what follows
                }
              },
              "the interrupted logits() hangs");
      assertTrue(saysInterrupted(e), e.toString());
      float[][] next =
          assertTimeoutPreemptively(
              Duration.ofSeconds(60), () -> model.logits(PROMPT), "the next logits() hangs");
      assertEquals(0.0, ReferenceData.maxAbsDiff(expected, next), "the next logits() is not exact");
    }
    model.close();
  }

  private static boolean saysInterrupted(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof InterruptedException
          || (c.getMessage() != null
              && c.getMessage().toLowerCase(Locale.ROOT).contains("interrupted"))) {
        return true;
      }
    }
    return false;
  }

  private static String stack(Thread t) {
    return Arrays.stream(t.getStackTrace()).map(f -> "  at " + f).collect(Collectors.joining("\n"));
  }
}
