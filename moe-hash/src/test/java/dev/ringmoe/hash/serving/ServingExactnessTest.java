package dev.ringmoe.hash.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.baseline.LookaheadPredictor;
import dev.ringmoe.hash.baseline.OraclePredictor;
import dev.ringmoe.hash.sida.HashNetworkConfig;
import dev.ringmoe.hash.sida.SidaData;
import dev.ringmoe.hash.sida.SidaHashNetwork;
import dev.ringmoe.hash.trace.TraceRecorder;
import dev.ringmoe.model.ExpertPredictor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exact mode with the SiDA predictors serving a streaming store: whatever the hash network predicts (here an
 * untrained one, so most predictions are wrong, and the combined and oracle predictors), the logits of a prefill and
 * of step-by-step decoding equal the all-resident run's bit for bit, at a device budget of 25% of the weights, for
 * the layer ring and the expert cache.
 */
class ServingExactnessTest {
  private static final int[] IDS = {1, 415, 2936, 17, 99, 3001, 12, 7, 640, 2, 33, 1500};
  private static Path dir;
  private static ModelConfig config;
  private static float[][] prefill;
  private static float[][] steps;
  private static float[] table;

  @BeforeAll
  static void resident() throws IOException {
    dir = ReferenceData.moeText16x();
    config = ModelConfig.load(dir);
    table = SidaData.embeddingTable(dir, config);
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      prefill = resident.logits(IDS);
      steps = resident.logitsIncremental(IDS);
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of("sida", "combined", "oracle")
        .flatMap(p -> Stream.of(false, true).map(cache -> Arguments.of(p, cache)));
  }

  private static ExpertPredictor predictor(String kind) throws IOException {
    SidaExpertPredictor hash = new SidaExpertPredictor(
        SidaHashNetwork.initialize(HashNetworkConfig.forModel(config), 3).predictor(table), config.topK());
    switch (kind) {
      case "sida":
        return hash;
      case "combined":
        return new CombinedPredictor(hash, LookaheadPredictor.load(dir), 0.5, config.topK());
      default:
        try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
          return OraclePredictor.replay(new TraceRecorder(resident, false).trace(IDS), config.topK());
        }
    }
  }

  @ParameterizedTest(name = "{0}, expert cache {1}")
  @MethodSource("cases")
  void exactModeLogitsEqualTheResidentRun(String kind, boolean expertCache) throws IOException {
    try (MoeModel model = MoeModel.builder().checkpoint(dir).deviceMemoryFraction(0.25).expertCache(expertCache)
        .predictor(predictor(kind)).build()) {
      assertEquals(0.0, ReferenceData.maxAbsDiff(prefill, model.logits(IDS)), "prefill logits differ");
      assertEquals(0.0, ReferenceData.maxAbsDiff(steps, model.logitsIncremental(IDS)), "decode logits differ");
      RingStats stats = model.ringStats().orElseThrow();
      assertTrue(stats.peakDeviceBytes() <= stats.deviceBudgetBytes(), stats.toString());
      if (kind.equals("combined")) {
        // its refinement runs on the decoding thread one layer ahead, so its loads are ahead whatever the timing
        // (what the hash thread delivers in time depends on the machine; QueuedPassesTest checks delivery)
        assertTrue(stats.prefetchHits() > 0, "the refined experts were loaded ahead and used: " + stats);
      }
    }
  }

}
