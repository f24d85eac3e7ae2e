package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model against Hugging Face's outputs for the reference checkpoints in {@code
 * ../shared/reference}.
 */
class ReferenceCheckpointTest {
  private static int[] inputIds;
  private static int[] greedyIds;
  private static String prompt;

  @BeforeAll
  static void readReference() throws IOException {
    JsonObject ref =
        JsonParser.parseString(
                Files.readString(ReferenceData.mixtralTiny().resolve("reference.json")))
            .getAsJsonObject();
    prompt = ref.get("prompt").getAsString();
    inputIds =
        ref.getAsJsonArray("input_ids").asList().stream().mapToInt(e -> e.getAsInt()).toArray();
    greedyIds =
        ref.getAsJsonArray("greedy_continuation_ids").asList().stream()
            .mapToInt(e -> e.getAsInt())
            .toArray();
  }

  private static MoeModel open(String variant) throws IOException {
    return MoeModel.builder().checkpoint(ReferenceData.mixtralTiny().resolve(variant)).build();
  }

  @Test
  void float32LogitsMatchHuggingFace() throws IOException {
    try (MoeModel model = open("f32")) {
      float[][] logits = model.logits(inputIds);
      double diff =
          ReferenceData.maxAbsDiff(
              logits,
              ReferenceData.readFloats(ReferenceData.mixtralTiny().resolve("logits_f32.f32")));
      System.out.printf("f32 reference: max |logit diff| = %.3g%n", diff);
      assertTrue(diff < 1e-3, "max abs diff " + diff);
    }
  }

  @Test
  void bfloat16LogitsMatchHuggingFace() throws IOException {
    try (MoeModel model = open("bf16")) {
      float[][] logits = model.logits(inputIds);
      double diff =
          ReferenceData.maxAbsDiff(
              logits,
              ReferenceData.readFloats(
                  ReferenceData.mixtralTiny().resolve("logits_bf16_weights_f32_compute.f32")));
      System.out.printf("bf16 reference: max |logit diff| = %.3g%n", diff);
      assertTrue(diff < 1e-3, "max abs diff " + diff);
    }
  }

  @Test
  void tokenizerGivesReferenceIds() throws IOException {
    try (MoeModel model = open("f32")) {
      assertArrayEquals(inputIds, model.tokenizer().encode(prompt));
    }
  }

  @Test
  void greedyGenerationMatchesHuggingFace() throws IOException {
    try (MoeModel model = open("f32")) {
      StringBuilder streamed = new StringBuilder();
      int[] seen = new int[greedyIds.length];
      int[] n = {0};
      GenerationResult r =
          model.generate(
              prompt,
              GenerationOptions.builder().maxNewTokens(greedyIds.length).stopAtEos(false).build(),
              (id, text) -> {
                seen[n[0]++] = id;
                streamed.append(text);
              });
      assertArrayEquals(greedyIds, r.generatedIds());
      assertArrayEquals(greedyIds, seen);
      int[] all = r.allIds();
      assertArrayEquals(r.promptIds(), java.util.Arrays.copyOf(all, r.promptIds().length));
      assertArrayEquals(
          greedyIds, java.util.Arrays.copyOfRange(all, r.promptIds().length, all.length));
      assertEquals(GenerationResult.StopReason.MAX_NEW_TOKENS, r.stopReason());
      assertEquals(model.tokenizer().decode(greedyIds), streamed.toString());
      assertEquals(streamed.toString(), r.text());
    }
  }

  @Test
  void incrementalDecodeEqualsFullForward() throws IOException {
    try (MoeModel model = open("f32")) {
      float[][] full = model.logits(inputIds);
      float[][] stepwise = model.logitsIncremental(inputIds);
      double max = 0;
      for (int t = 0; t < inputIds.length; t++) {
        for (int v = 0; v < full[t].length; v++) {
          max = Math.max(max, Math.abs(full[t][v] - stepwise[t][v]));
        }
      }
      System.out.printf("incremental vs full: max |diff| = %.3g%n", max);
      assertTrue(max < 1e-4, "max abs diff " + max);
    }
  }

  @Test
  void shardedTextModelMatchesHuggingFace() throws IOException {
    Path dir = ReferenceData.moeText16x();
    JsonObject ids =
        JsonParser.parseString(Files.readString(dir.resolve("ref/eval_ids.json")))
            .getAsJsonObject();
    int[] seq0 =
        ids.getAsJsonArray("ids").get(0).getAsJsonArray().asList().stream()
            .mapToInt(e -> e.getAsInt())
            .toArray();
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      float[][] logits = model.logits(seq0);
      double diff =
          ReferenceData.maxAbsDiff(
              logits, ReferenceData.readFloats(dir.resolve("ref/ref_logits_seq0.bin")));
      System.out.printf("moe-text-16x seq 0: max |logit diff| = %.3g%n", diff);
      assertTrue(diff < 1e-3, "max abs diff " + diff);
    }
  }
}
