package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A predictor that throws surfaces in the caller, never hangs, and the next request is served exactly (with the
 * ring reset from the aborted pass and no copy of that pass writing into a reassigned slot).
 */
class PredictorFaultTest {
  /** Throws on its first call for layer 2, then predicts layer l's experts {l mod E}. */
  static final class FailsOnce implements ExpertPredictor {
    final AtomicInteger failures = new AtomicInteger();
    private final boolean fromTokens;

    FailsOnce(boolean fromTokens) {
      this.fromTokens = fromTokens;
    }

    @Override
    public BitSet predict(LayerInput input) {
      if (input.layer() == 2 && failures.getAndIncrement() == 0) {
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

  @ParameterizedTest(name = "expert cache {0}")
  @ValueSource(booleans = {false, true})
  void aThrowingPredictorFailsTheRequestAndTheNextOneIsExact(boolean expertCache) throws IOException {
    Path dir = ReferenceData.moeText16x();
    ModelConfig c = ModelConfig.load(dir);
    int[] ids = {1, 415, 2936, 17, 99, 3001, 12, 7};
    float[][] expected;
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      expected = resident.logits(ids);
    }
    FailsOnce predictor = new FailsOnce(expertCache);
    try (MoeModel model = MoeModel.builder().checkpoint(dir).deviceMemory(c.float32WeightBytes() / 3)
        .expertCache(expertCache).predictor(predictor).build()) {
      IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
          () -> assertThrows(IllegalStateException.class, () -> model.logits(ids)));
      assertTrue(e.getMessage().contains("predictor broke"), e.getMessage());
      float[][] again = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> model.logits(ids));
      assertEquals(0.0, RingExactnessTest.maxDiff(expected, again));
      assertTrue(predictor.failures.get() >= 2, "the predictor was asked again after failing");
      // The first request after a failure used to race with copies of the aborted pass: repeat to catch it.
      for (int i = 0; i < 5; i++) {
        assertEquals(0.0, RingExactnessTest.maxDiff(expected, model.logits(ids)));
      }
    }
  }
}
