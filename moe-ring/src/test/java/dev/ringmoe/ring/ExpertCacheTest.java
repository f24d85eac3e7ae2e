package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The expert cache gives the resident logits bit for bit under any budget and predictor, and evicts
 * by policy.
 */
class ExpertCacheTest {
  /**
   * A predictor that works from token ids alone and guesses badly, to exercise wasted prefetches.
   */
  static final ExpertPredictor WRONG =
      new ExpertPredictor() {
        @Override
        public BitSet predict(LayerInput input) {
          BitSet s = new BitSet();
          s.set((input.layer() * 5 + input.tokenIds()[0]) % input.config().experts());
          return s;
        }

        @Override
        public boolean needsHiddenState() {
          return false;
        }
      };

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Path dir :
        List.of(
            ReferenceData.mixtralBf16(),
            ReferenceData.moeText16x(),
            ReferenceData.family("qwen2_moe", "bf16"),
            ReferenceData.family("qwen3_moe", "f32"),
            ReferenceData.family("olmoe", "bf16"))) {
      for (String predictor : List.of("none", "lookahead", "wrong")) {
        for (double fraction : new double[] {0, 0.3, 0.6, 1.0}) {
          out.add(Arguments.of(dir, predictor, fraction));
        }
      }
    }
    return out.stream();
  }

  private static long budget(ModelConfig c, int width, double fraction) {
    long resident =
        (long) width * (c.globalParameters() + (long) c.layers() * c.denseLayerParameters());
    long minimum = resident + (long) width * c.expertParameters();
    return KvReservation.of(c)
        + (fraction == 0 ? minimum : Math.max(minimum, (long) (fraction * c.weightBytes(width))));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void logitsEqualResident(Path dir, String predictor, double fraction) throws IOException {
    ModelConfig c = ModelConfig.load(dir);
    int[] ids = new SplittableRandom(5).ints(16, 3, c.vocabSize()).toArray();
    float[][] expected;
    float[][] expectedSteps;
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      expected = resident.logits(ids);
      expectedSteps = resident.logitsIncremental(java.util.Arrays.copyOf(ids, 8));
    }
    long budget = budget(c, WeightWidth.of(dir, c), fraction);
    MoeModel.Builder b = MoeModel.builder().checkpoint(dir).deviceMemory(budget).expertCache(true);
    switch (predictor) {
      case "none":
        b.prefetch(Prefetch.NONE);
        break;
      case "lookahead":
        b.prefetch(Prefetch.LOOKAHEAD);
        break;
      default:
        b.predictor(WRONG);
    }
    try (MoeModel model = b.build()) {
      assertEquals(0.0, ReferenceData.maxAbsDiff(expected, model.logits(ids)));
      assertEquals(
          0.0,
          ReferenceData.maxAbsDiff(
              expectedSteps, model.logitsIncremental(java.util.Arrays.copyOf(ids, 8))));
      RingStats s = model.ringStats().orElseThrow();
      assertTrue(s.peakDeviceBytes() <= budget, s.toString());
      if (fraction == 1.0) {
        // Everything fits: the second sequence reuses what the first loaded.
        assertTrue(s.prefetchHits() > 0, s.toString());
      }
    }
  }

  @Test
  void budgetBelowResidentPlusOneExpertNamesTheMinimum() {
    Path dir = ReferenceData.mixtralBf16();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                MoeModel.builder().checkpoint(dir).deviceMemory(1 << 20).expertCache(true).build());
    assertTrue(e.getMessage().contains("minimum"), e.getMessage());
  }

  @Test
  void cachedExpertsSurviveAcrossTokensUnlikeTheLayerRing() throws IOException {
    Path dir = ReferenceData.moeText16x();
    ModelConfig c = ModelConfig.load(dir);
    int[] ids = new SplittableRandom(9).ints(24, 3, c.vocabSize()).toArray();
    long budget = (long) (0.6 * c.weightBytes(WeightWidth.of(dir, c)));
    long cacheCopies;
    long ringCopies;
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .deviceMemory(budget)
            .expertCache(true)
            .prefetch(Prefetch.NONE)
            .build()) {
      model.logitsIncremental(ids);
      cacheCopies = model.ringStats().orElseThrow().copies();
    }
    try (MoeModel model =
        MoeModel.builder().checkpoint(dir).deviceMemory(budget).prefetch(Prefetch.NONE).build()) {
      model.logitsIncremental(ids);
      ringCopies = model.ringStats().orElseThrow().copies();
    }
    System.out.printf(
        "24 decode steps at 60%%: expert cache %d copies, layer ring %d copies%n",
        cacheCopies, ringCopies);
    assertTrue(cacheCopies < ringCopies / 2, cacheCopies + " vs " + ringCopies);
  }

  @Test
  void lruEvictsTheLeastRecentlyUsedEvictableKey() {
    CachePolicy lru = CachePolicy.lru();
    for (long k = 1; k <= 4; k++) {
      lru.inserted(k);
    }
    lru.used(1);
    assertEquals(2, lru.victim(k -> true));
    assertEquals(3, lru.victim(k -> k != 2));
    lru.removed(2);
    lru.used(3);
    assertEquals(4, lru.victim(k -> true));
    assertEquals(-1, lru.victim(k -> false));
  }
}
