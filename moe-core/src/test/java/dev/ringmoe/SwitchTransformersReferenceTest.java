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
