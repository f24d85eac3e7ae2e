package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.seq2seq.DecoderState;
import dev.ringmoe.seq2seq.EncoderDecoderModel;
import dev.ringmoe.seq2seq.EncoderOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Switch Transformers ({@code ../shared/reference/switch_transformers}) against Hugging Face's own
 * outputs: the encoder's last hidden state and the decoder's logits at every position (f32 weights
 * against the f32 files, bf16 weights against the {@code bf16_weights_f32_compute} files), the
 * greedy continuation of the decoder input, and step-by-step decoding against the full pass.
 */
class SwitchTransformersReferenceTest {
  private static final double TOLERANCE = 1e-4;

  private static Path root() {
    return ReferenceData.root().resolve("switch_transformers");
  }

  private static JsonObject reference() throws IOException {
    return JsonParser.parseString(Files.readString(root().resolve("reference.json")))
        .getAsJsonObject();
  }

  private static int[] ints(JsonObject o, String name) {
    return o.getAsJsonArray(name).asList().stream().mapToInt(e -> e.getAsInt()).toArray();
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(b.length, a.length, "length");
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }

  @Test
  void readsTheConfig() throws IOException {
    ModelConfig c = ModelConfig.load(root().resolve("f32"));
    assertEquals(8, c.layers());
    assertEquals(4, c.encoderDecoder().encoderLayers());
    assertEquals(128, c.hiddenSize());
    assertEquals(32, c.headDim());
    assertEquals(1, c.topK());
    assertEquals(64, c.encoderDecoder().expertCapacity());
    assertEquals(0, c.encoderDecoder().decoderStartTokenId());
    // layer i of a stack is sparse iff i % 2 == 1: encoder 1, 3; decoder 1, 3 (model layers 5, 7)
    assertArrayEquals(new int[] {1, 3, 5, 7}, c.moeLayers());
    assertEquals(3_408_896L, c.manifest().parameters(), "the reference's parameter count");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        "\"dense_act_fn\": \"relu\"|\"dense_act_fn\": \"gelu_new\"|dense_act_fn \"gelu_new\" is not supported",
        "\"router_bias\": false|\"router_bias\": true|router_bias true is not supported",
        "\"router_dtype\": \"float32\"|\"router_dtype\": \"bfloat16\"|router_dtype \"bfloat16\"",
        "\"encoder_sparse_step\": 2|\"encoder_sparse_step\": 3|encoder_sparse_step is 3 but",
        "\"expert_capacity\": 64|\"expert_capacity\": 0|expert_capacity must be at least 1",
        "\"relative_attention_num_buckets\": 32|\"relative_attention_num_buckets\": 2|relative_attention_num_buckets must be at least 4",
        "\"d_model\": 128|\"d_model\": 128.0|field 'd_model' must be an integer",
        "\"decoder_start_token_id\": 0|\"decoder_start_token_id\": 5000|decoder_start_token_id 5000 is outside"
      })
  void refusesWhatItCannotRun(
      String from, String to, String message, @org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    String json = Files.readString(root().resolve("f32").resolve("config.json"));
    assertTrue(json.contains(from), from);
    Files.writeString(tmp.resolve("config.json"), json.replace(from, to));
    dev.ringmoe.config.ModelConfigException e =
        assertThrows(dev.ringmoe.config.ModelConfigException.class, () -> ModelConfig.load(tmp));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }

  @Test
  void decoderOnlyApiRefusesIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MoeModel.builder().checkpoint(root().resolve("f32")).build());
    assertTrue(e.getMessage().contains("EncoderDecoderModel"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"f32", "bf16"})
  void matchesHuggingFace(String variant) throws IOException {
    JsonObject ref = reference();
    int[] encoderIds = ints(ref, "encoder_input_ids");
    int[] decoderIds = ints(ref, "decoder_input_ids");
    String suffix = variant.equals("f32") ? "f32" : "bf16_weights_f32_compute";
    try (EncoderDecoderModel model = EncoderDecoderModel.open(root().resolve(variant))) {
      assertEquals(decoderIds[0], model.decoderStartTokenId());
      EncoderOutput encoded = model.encode(encoderIds);
      double encoderDiff =
          maxAbsDiff(
              encoded.hidden(),
              ReferenceData.readFloats(root().resolve("encoder_output_" + suffix + ".f32")));
      float[][] logits = model.logits(encoderIds, decoderIds);
      double diff =
          ReferenceData.maxAbsDiff(
              logits, ReferenceData.readFloats(root().resolve("logits_" + suffix + ".f32")));
      float[][] stepwise = model.logitsIncremental(encoderIds, decoderIds);
      double steps = ReferenceData.maxAbsDiff(stepwise, logits);
      System.out.printf(
          "switch_transformers %s: encoder output vs HF %.3g, logits vs HF %.3g, incremental vs"
              + " full %.3g%n",
          variant, encoderDiff, diff, steps);
      assertTrue(encoderDiff < TOLERANCE, variant + ": encoder output diff " + encoderDiff);
      assertTrue(diff < TOLERANCE, variant + ": logits diff " + diff);
      assertTrue(steps < TOLERANCE, variant + ": incremental vs full " + steps);

      int[] greedy =
          ints(
              ref,
              variant.equals("f32")
                  ? "greedy_continuation_ids"
                  : "greedy_continuation_bf16_weights_f32_compute");
      GenerationResult r =
          model.generate(
              encoderIds,
              decoderIds,
              GenerationOptions.builder().maxNewTokens(greedy.length).stopAtEos(false).build());
      assertArrayEquals(greedy, r.generatedIds(), variant + " greedy continuation");

      // decoding in uneven chunks against one state equals the full pass
      DecoderState state = model.newState(encoded);
      float[] first = model.decode(state, java.util.Arrays.copyOf(decoderIds, 5), true);
      float[] rest =
          model.decode(state, java.util.Arrays.copyOfRange(decoderIds, 5, decoderIds.length), true);
      int vocab = model.config().vocabSize();
      double chunks = 0;
      for (int t = 0; t < decoderIds.length; t++) {
        float[] row =
            t < 5
                ? java.util.Arrays.copyOfRange(first, t * vocab, (t + 1) * vocab)
                : java.util.Arrays.copyOfRange(rest, (t - 5) * vocab, (t - 4) * vocab);
        chunks = Math.max(chunks, maxAbsDiff(row, logits[t]));
      }
      assertTrue(chunks < TOLERANCE, variant + ": chunked vs full " + chunks);
      assertEquals(decoderIds.length, state.length());
    }
  }
}
