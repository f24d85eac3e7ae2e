package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.Storage;
import dev.ringmoe.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The direct I/O storage tier gives bitwise the resident logits, for the layer ring and the expert
 * cache, f32 and bf16 checkpoints (bf16 held as bfloat16, so a copy is a plain copy), and keeps the
 * device peak, staging area included, within the budget.
 */
class DirectIoExactnessTest {
  private static final long STAGING = 1 << 20;

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (Path dir :
        new Path[] {
          ReferenceData.mixtralF32(),
          ReferenceData.mixtralBf16(),
          ReferenceData.family("qwen3_moe", "bf16"),
          ReferenceData.family("olmoe", "f32")
        }) {
      for (boolean cache : new boolean[] {false, true}) {
        for (Prefetch p : new Prefetch[] {Prefetch.NONE, Prefetch.LOOKAHEAD}) {
          b.add(Arguments.of(dir, cache, p));
        }
      }
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} cache={1} {2}")
  @MethodSource("cases")
  void directIoIsBitwiseResident(Path dir, boolean cache, Prefetch prefetch) throws IOException {
    ModelConfig c = ModelConfig.load(dir);
    int[] ids = new SplittableRandom(5).ints(10, 3, c.vocabSize()).toArray();
    float[][] expected;
    try (MoeModel resident = MoeModel.builder().checkpoint(dir).build()) {
      expected = resident.logits(ids);
    }
    int width = WeightWidth.of(dir, c);
    long budget =
        STAGING
            + KvReservation.of(c)
            + (long) width * (c.globalParameters() + (long) c.layers() * c.denseLayerParameters())
            + (long) width * c.expertParameters() * c.experts() * 2;
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .deviceMemory(budget)
            .expertCache(cache)
            .prefetch(prefetch)
            .storage(Storage.DIRECT)
            .stagingBytes(STAGING)
            .build()) {
      float[][] got = model.logits(ids);
      for (int t = 0; t < ids.length; t++) {
        assertArrayEquals(expected[t], got[t], 0f, "position " + t);
      }
      RingStats s = model.ringStats().orElseThrow();
      assertTrue(s.peakDeviceBytes() <= budget, s.toString());
      assertTrue(s.storageBytesRead() > 0, s.toString());
    }
  }
}
