package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Qwen2-MoE, Qwen3-MoE, OLMoE, DeepSeek-V2, DeepSeek-V3 (also its block-wise FP8) and gpt-oss
 * (dense and MXFP4) against Hugging Face transformers' own outputs for the reference checkpoints
 * ({@code ../shared/reference/FAMILY/}): logits of every prompt position (f32 weights against
 * {@code logits_f32.f32}, bf16 weights against {@code logits_bf16_weights_f32_compute.f32}, fp8 and
 * mxfp4 weights decoded at load against their folder's {@code logits_f32.f32}), the tokenizer's
 * ids, the greedy continuation, and step-by-step decoding against the full forward.
 */
class FamilyReferenceTest {
  /** The references' README: a correct float32 implementation lands within about 1e-4. */
  private static final double TOLERANCE = 1e-4;

  static Stream<Arguments> checkpoints() {
    return Stream.concat(
        Stream.of("qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2", "deepseek_v3", "gpt_oss")
            .flatMap(f -> Stream.of(Arguments.of(f, "f32"), Arguments.of(f, "bf16"))),
        // the released storage: DeepSeek-V3's block-wise FP8 (F8_E4M3 + F32 scale_inv) and
        // gpt-oss's MXFP4 experts, decoded at load
        Stream.of(
            Arguments.of("deepseek_v3_fp8/block128", "fp8"),
            Arguments.of("deepseek_v3_fp8/block32", "fp8"),
            Arguments.of("gpt_oss_mxfp4", "mxfp4")));
  }

  private static JsonObject reference(String family) throws IOException {
    return JsonParser.parseString(
            Files.readString(ReferenceData.root().resolve(family).resolve("reference.json")))
        .getAsJsonObject();
  }

  private static int[] ints(JsonObject o, String name) {
    return o.getAsJsonArray(name).asList().stream().mapToInt(e -> e.getAsInt()).toArray();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("checkpoints")
  void matchesHuggingFace(String family, String variant) throws IOException {
    Path root = ReferenceData.root().resolve(family);
    JsonObject ref = reference(family);
    int[] ids = ints(ref, "input_ids");
    try (MoeModel model = MoeModel.builder().checkpoint(root.resolve(variant)).build()) {
      assertArrayEquals(
          ids, model.tokenizer().encode(ref.get("prompt").getAsString()), "tokenizer ids");
      float[][] logits = model.logits(ids);
      String expected =
          variant.equals("bf16") ? "logits_bf16_weights_f32_compute.f32" : "logits_f32.f32";
      double diff =
          ReferenceData.maxAbsDiff(logits, ReferenceData.readFloats(root.resolve(expected)));
      float[][] stepwise = model.logitsIncremental(ids);
      double steps = ReferenceData.maxAbsDiff(stepwise, logits);
      System.out.printf(
          "%s %s: max |logit diff| vs HF %.3g, incremental vs full %.3g%n",
          family, variant, diff, steps);
      assertTrue(diff < TOLERANCE, family + " " + variant + ": max abs diff " + diff);
      assertTrue(steps < TOLERANCE, family + " " + variant + ": incremental vs full " + steps);

      int[] greedy =
          ints(
              ref,
              variant.equals("bf16")
                  ? "greedy_continuation_bf16_weights_f32_compute"
                  : "greedy_continuation_ids");
      GenerationResult r =
          model.generate(
              ids,
              GenerationOptions.builder().maxNewTokens(greedy.length).stopAtEos(false).build(),
              TokenListener.NONE);
      assertArrayEquals(greedy, r.generatedIds(), family + " " + variant + " greedy continuation");
      if (family.startsWith("deepseek")) {
        // MLA caches the compressed kv and the rotary key part, not per-head keys and values
        JsonObject c =
            JsonParser.parseString(Files.readString(root.resolve(variant).resolve("config.json")))
                .getAsJsonObject();
        int layers = c.get("num_hidden_layers").getAsInt();
        long expectedKv =
            4L * layers * (c.get("kv_lora_rank").getAsInt() + c.get("qk_rope_head_dim").getAsInt());
        long fullKv =
            4L
                * layers
                * c.get("num_attention_heads").getAsInt()
                * (c.get("qk_nope_head_dim").getAsInt()
                    + c.get("qk_rope_head_dim").getAsInt()
                    + c.get("v_head_dim").getAsInt());
        assertEquals(expectedKv, model.config().kvCacheBytesPerToken());
        assertTrue(expectedKv < fullKv, expectedKv + " >= " + fullKv);
      }
    }
  }
}
