package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Logits through the ring equal the all-resident logits bit for bit, for K = 1, 2, 3 and
 * all-layers, budgets from the minimum to everything, every prefetch policy, on both reference
 * checkpoints and generated ones of other shapes, and on the Qwen2-MoE (shared experts, a dense
 * layer), Qwen3-MoE and OLMoE references; and the device tier's peak never exceeds the budget.
 */
class RingExactnessTest {
  private static Path synthetic;
  private static final List<Path> TEMP = new ArrayList<>();
  private static final java.util.Map<Path, float[][][]> RESIDENT = new java.util.HashMap<>();

  @BeforeAll
  static void synthesize() throws IOException {
    synthetic = Files.createTempDirectory("ring-exact");
    TEMP.add(synthetic);
    ModelConfig c =
        ModelConfig.builder(Architecture.MIXTRAL)
            .layers(5)
            .hiddenSize(64)
            .heads(8)
            .kvHeads(2)
            .experts(6)
            .topK(3)
            .intermediateSize(80)
            .vocabSize(320)
            .build();
    SyntheticCheckpoint.of(c).dtype(DType.BF16).shardBytes(300_000).seed(11).write(synthetic);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    for (Path p : TEMP) {
      try (Stream<Path> files = Files.walk(p)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  static Stream<Path> checkpoints() {
    return Stream.of(
        ReferenceData.mixtralF32(),
        ReferenceData.mixtralBf16(),
        ReferenceData.moeText16x(),
        synthetic,
        ReferenceData.family("qwen2_moe", "f32"),
        ReferenceData.family("qwen3_moe", "bf16"),
        ReferenceData.family("olmoe", "f32"));
  }

  /**
   * Budgets: minimal for K (dense streamed) and generous (dense resident), for K = 1, 2, 3, and
   * everything.
   */
  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Path ckpt : checkpoints().toList()) {
      for (Prefetch p : Prefetch.values()) {
        for (int k = 1; k <= 3; k++) {
          out.add(Arguments.of(ckpt, k, "minimum", p));
          out.add(Arguments.of(ckpt, k, "generous", p));
        }
        out.add(Arguments.of(ckpt, 0, "everything", p));
      }
    }
    return out.stream();
  }

  private static long budget(ModelConfig c, int width, int k, String kind) {
    long global = KvReservation.of(c) + (long) width * c.globalParameters();
    long dense = (long) width * c.denseLayerParameters();
    long experts = (long) width * c.experts() * c.expertParameters();
    switch (kind) {
      case "minimum":
        return global + k * (dense + experts);
      case "generous":
        return global + c.layers() * dense + k * experts;
      default:
        return KvReservation.of(c) + c.weightBytes(width);
    }
  }

  private static int[] ids(ModelConfig c, int n) {
    return new SplittableRandom(3).ints(n, 3, c.vocabSize()).toArray();
  }

  @ParameterizedTest(name = "{0} K={1} {2} {3}")
  @MethodSource("cases")
  void ringLogitsEqualResidentLogits(Path dir, int k, String kind, Prefetch prefetch)
      throws IOException {
    ModelConfig c = ModelConfig.load(dir);
    int[] ids = ids(c, 20);
    float[][][] reference = RESIDENT.get(dir);
    if (reference == null) {
      try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
        reference =
            new float[][][] {
              resident.logits(ids), resident.logitsIncremental(java.util.Arrays.copyOf(ids, 6))
            };
      }
      RESIDENT.put(dir, reference);
    }
    float[][] expected = reference[0];
    float[][] expectedSteps = reference[1];
    long budget = budget(c, WeightWidth.of(dir, c), Math.max(k, 1), kind);
    try (MoeModel ring =
        MoeModel.builder()
            .checkpoint(dir)
            .deviceMemory(budget)
            .ringSlots(k)
            .prefetch(prefetch)
            .build()) {
      float[][] actual = ring.logits(ids);
      float[][] steps = ring.logitsIncremental(java.util.Arrays.copyOf(ids, 6));
      assertEquals(0.0, ReferenceData.maxAbsDiff(expected, actual), "prefill logits differ");
      assertEquals(0.0, ReferenceData.maxAbsDiff(expectedSteps, steps), "decode logits differ");
      // A second generation reuses the ring from wherever it stands.
      ring.generate(
          ids,
          GenerationOptions.builder().maxNewTokens(3).stopAtEos(false).build(),
          TokenListener.NONE);
      RingStats stats = ring.ringStats().orElseThrow();
      assertTrue(stats.peakDeviceBytes() <= budget, stats.peakDeviceBytes() + " > " + budget);
      assertTrue(stats.peakDeviceBytes() > 0);
      if (k > 0) {
        assertEquals(Math.min(k, c.layers()), stats.slots());
      }
      if (k > 0 && k < c.layers()) {
        assertTrue(stats.copies() > 0 && stats.deviceBytesWritten() > 0, stats.toString());
      }
    }
  }
}
