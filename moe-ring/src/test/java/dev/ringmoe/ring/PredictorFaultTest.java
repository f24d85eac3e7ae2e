package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.model.PredictorException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A predictor that throws, or a hash-building thread that dies, surfaces in the caller as a {@link
 * PredictorException} after the pass completed with on-demand loading; nothing hangs, and the next
 * request is served exactly (with the ring reset from the failed pass and no copy of that pass
 * writing into a reassigned slot).
 */
class PredictorFaultTest {
  private static final int[] IDS = {1, 415, 2936, 17, 99, 3001, 12, 7};
  private static Path dir;
  private static ModelConfig config;
  private static float[][] expected;

  /**
   * Fails on its first call for layer 2 (with {@code failure}), then predicts layer l's experts {l
   * mod E}.
   */
  static final class FailsOnce implements ExpertPredictor {
    final AtomicInteger failures = new AtomicInteger();
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    volatile String failedOn;
    private final boolean fromTokens;
    private final boolean killThread;

    FailsOnce(boolean fromTokens, boolean killThread) {
      this.fromTokens = fromTokens;
      this.killThread = killThread;
    }

    @Override
    public BitSet predict(LayerInput input) {
      threads.add(Thread.currentThread().getName());
      if (input.layer() == 2 && failures.getAndIncrement() == 0) {
        failedOn = Thread.currentThread().getName();
        if (killThread) {
          throw new Killed();
        }
        throw new IllegalStateException("predictor broke");
      }
      BitSet s = new BitSet();
      s.set(input.layer() % input.config().experts());
      return s;
    }

    @Override
    public boolean needsHiddenState() {
      return !fromTokens;
    }
  }

  /** An error that ends the thread it is thrown on. */
  static final class Killed extends Error {
    private static final long serialVersionUID = 1L;

    Killed() {
      super("hash thread killed");
    }
  }

  @BeforeAll
  static void resident() throws IOException {
    dir = ReferenceData.moeText16x();
    config = ModelConfig.load(dir);
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      expected = resident.logits(IDS);
    }
  }

  private MoeModel open(boolean expertCache, ExpertPredictor predictor) throws IOException {
    return MoeModel.builder()
        .checkpoint(dir)
        .deviceMemory(config.float32WeightBytes() / 3)
        .expertCache(expertCache)
        .predictor(predictor)
        .build();
  }

  @ParameterizedTest(name = "expert cache {0}, token-only predictor on the hash thread {1}")
  @CsvSource({"false,false", "false,true", "true,false", "true,true"})
  void aThrowingPredictorFailsTheRequestAfterAnExactPassAndTheNextOneIsExact(
      boolean expertCache, boolean fromTokens) throws IOException {
    FailsOnce predictor = new FailsOnce(fromTokens, false);
    try (MoeModel model = open(expertCache, predictor)) {
      PredictorException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(60),
              () -> assertThrows(PredictorException.class, () -> model.logits(IDS)));
      assertInstanceOf(IllegalStateException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("predictor broke"), e.getMessage());
      RingStats failed = model.ringStats().orElseThrow();
      assertTrue(
          failed.prefetchMisses() > 0,
          "the failed pass loaded what the router chose on demand: " + failed);
      if (fromTokens) {
        assertTrue(predictor.failedOn.startsWith("ringmoe-hash-"), "ran on " + predictor.failedOn);
      }
      float[][] again = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> model.logits(IDS));
      assertEquals(0.0, ReferenceData.maxAbsDiff(expected, again));
      assertTrue(predictor.failures.get() >= 2, "the predictor was asked again after failing");
      // The first request after a failure used to race with copies of the aborted pass: repeat to
      // catch it.
      for (int i = 0; i < 5; i++) {
        assertEquals(0.0, ReferenceData.maxAbsDiff(expected, model.logits(IDS)));
      }
    }
  }

  @ParameterizedTest(name = "expert cache {0}")
  @ValueSource(booleans = {false, true})
  void aHashThreadThatDiesFailsTheRequestAndANewThreadServesTheNext(boolean expertCache)
      throws Exception {
    FailsOnce predictor = new FailsOnce(true, true);
    try (MoeModel model = open(expertCache, predictor)) {
      PredictorException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(60),
              () -> assertThrows(PredictorException.class, () -> model.logits(IDS)));
      assertTrue(e.getCause() instanceof Killed || e.getMessage().contains("died"), e.toString());
      String dead = predictor.failedOn;
      assertTrue(dead.startsWith("ringmoe-hash-"), "the predictor ran on " + dead);
      assertTrue(waitUntilGone(dead), dead + " is still alive");
      float[][] again = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> model.logits(IDS));
      assertEquals(0.0, ReferenceData.maxAbsDiff(expected, again));
      assertTrue(
          predictor.threads.stream()
              .anyMatch(t -> t.startsWith("ringmoe-hash-") && !t.equals(dead)),
          "a new hash thread served the next request: " + predictor.threads);
      assertNotEquals(0L, predictor.failures.get());
    }
    for (String t : predictor.threads) {
      assertTrue(waitUntilGone(t), t + " outlived close()");
    }
  }

  private static boolean waitUntilGone(String name) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (Thread.getAllStackTraces().keySet().stream()
          .noneMatch(t -> t.getName().equals(name) && t.isAlive())) {
        return true;
      }
      Thread.sleep(10);
    }
    return false;
  }
}
