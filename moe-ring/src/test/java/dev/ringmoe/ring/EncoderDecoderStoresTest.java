package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.RingStats;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.seq2seq.EncoderDecoderModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Switch Transformers through the expert cache and the layer ring: the encoder outputs, the
 * decoder's logits (full and step by step) and a greedy generation equal the resident model's bit
 * for bit, at two budgets and with and without prefetching, for the encoder's and the decoder's
 * experts; the device tier's peak stays within the budget.
 */
class EncoderDecoderStoresTest {
  private static final int[] ENCODER = {
    564, 916, 435, 275, 946, 300, 299, 936, 922, 288, 919, 956, 916, 973, 504, 932, 924, 264, 313,
    266, 314, 923, 984, 933, 472, 935, 939, 884, 493, 330, 553, 483, 2
  };
  private static final int[] DECODER = {0, 564, 916, 435, 275, 946, 300, 299, 936, 922};

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String variant : List.of("f32", "bf16")) {
      for (Prefetch p : List.of(Prefetch.NONE, Prefetch.LOOKAHEAD)) {
        for (String budget : List.of("small", "large")) {
          out.add(Arguments.of(variant, "cache", budget, p));
        }
        // K = 2 and 3 (fewer than the decoder's 4 layers), 5 (more), and every layer
        for (String budget : List.of("small", "large", "five", "everything")) {
          out.add(Arguments.of(variant, "ring", budget, p));
        }
      }
    }
    return out.stream();
  }

  private static long budget(ModelConfig c, int width, String store, String kind) {
    // every streaming store reserves one sequence's KV cache out of the budget first
    long kv = KvReservation.of(c);
    long global = kv + (long) width * c.globalParameters();
    long dense = (long) width * c.denseLayerParameters();
    long expert = (long) width * c.expertParameters();
    long everything = kv + c.weightBytes(width);
    if (store.equals("cache")) {
      long resident =
          kv + (long) width * (c.globalParameters() + (long) c.layers() * c.denseLayerParameters());
      return kind.equals("small")
          ? resident + 2 * expert
          : kv + (long) (0.7 * c.weightBytes(width));
    }
    // the ring: two slots of dense + experts, or dense resident and K slots of experts
    switch (kind) {
      case "small":
        return global + 2 * (dense + c.experts() * expert);
      case "large":
        return global + c.layers() * dense + 3 * c.experts() * expert;
      case "five":
        return global + c.layers() * dense + 5 * c.experts() * expert;
      default:
        return everything;
    }
  }

  @ParameterizedTest(name = "{0} {1} {2} {3}")
  @MethodSource("cases")
  void equalsResident(String variant, String store, String kind, Prefetch prefetch)
      throws IOException {
    Path dir = ReferenceData.root().resolve("switch_transformers").resolve(variant);
    ModelConfig c = ModelConfig.load(dir);
    float[] encoded;
    float[][] logits;
    float[][] steps;
    int[] generated;
    GenerationOptions greedy = GenerationOptions.builder().maxNewTokens(5).stopAtEos(false).build();
    try (EncoderDecoderModel resident = EncoderDecoderModel.open(dir)) {
      encoded = resident.encode(ENCODER).hidden();
      logits = resident.logits(ENCODER, DECODER);
      steps = resident.logitsIncremental(ENCODER, DECODER);
      generated = resident.generate(ENCODER, greedy).generatedIds();
    }
    long budget = budget(c, WeightWidth.of(dir, c), store, kind);
    MoeModel.Builder b = MoeModel.builder().checkpoint(dir).deviceMemory(budget).prefetch(prefetch);
    if (store.equals("cache")) {
      b.expertCache(true);
    } else {
      b.ringSlots(
          kind.equals("small") ? 2 : kind.equals("large") ? 3 : kind.equals("five") ? 5 : 0);
    }
    try (EncoderDecoderModel model = b.buildEncoderDecoder()) {
      assertArrayEquals(encoded, model.encode(ENCODER).hidden(), "encoder output");
      assertEquals(0.0, ReferenceData.maxAbsDiff(logits, model.logits(ENCODER, DECODER)), "logits");
      assertEquals(
          0.0,
          ReferenceData.maxAbsDiff(steps, model.logitsIncremental(ENCODER, DECODER)),
          "step-by-step logits");
      assertArrayEquals(generated, model.generate(ENCODER, greedy).generatedIds(), "generation");
      // a second sequence after the first, from wherever the store stands
      assertEquals(
          0.0,
          ReferenceData.maxAbsDiff(
              logits, model.logits(ENCODER, Arrays.copyOf(DECODER, DECODER.length))),
          "logits of a second sequence");
      RingStats s = model.ringStats().orElseThrow();
      System.out.printf("switch %s %s %s %s: %s%n", variant, store, kind, prefetch, s);
      assertTrue(s.peakDeviceBytes() <= budget, s.peakDeviceBytes() + " > " + budget);
      assertTrue(s.copies() > 0, s.toString());
      if (store.equals("ring") && !kind.equals("everything")) {
        // (with everything, the plan picks K itself)
        int k = kind.equals("small") ? 2 : kind.equals("large") ? 3 : 5;
        assertEquals(k, s.slots(), s.toString());
      }
    }
  }
}
