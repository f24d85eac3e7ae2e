package dev.ringmoe.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.generate.GeneratedToken;
import dev.ringmoe.generate.GenerationCancelledException;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenStream;
import dev.ringmoe.tensor.VectorMath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The encoder-decoder generates through the same loop: penalties over the decoder's ids,
 * cancellation and streaming, on the Switch Transformers reference checkpoint.
 */
@Timeout(300)
class EncoderDecoderControlsTest {
  private static Path dir() {
    return ReferenceData.root().resolve("switch_transformers");
  }

  private static int[] encoderIds() throws Exception {
    return JsonParser.parseString(Files.readString(dir().resolve("reference.json")))
        .getAsJsonObject()
        .getAsJsonArray("encoder_input_ids")
        .asList()
        .stream()
        .mapToInt(e -> e.getAsInt())
        .toArray();
  }

  @Test
  void repetitionPenaltyCountsTheDecoderIdsAndGreedyFollowsIt() throws Exception {
    int[] encoder = encoderIds();
    try (EncoderDecoderModel model = EncoderDecoderModel.open(dir().resolve("f32"))) {
      GenerationOptions plainOptions =
          GenerationOptions.builder().maxNewTokens(12).stopAtEos(false).build();
      GenerationResult plain = model.generate(encoder, plainOptions);
      // The random-weight model does not repeat by itself: a penalty below 1 makes it.
      double p = 0.05;
      GenerationOptions options =
          GenerationOptions.builder()
              .maxNewTokens(12)
              .stopAtEos(false)
              .repetitionPenalty(p)
              .build();
      GenerationResult r = model.generate(encoder, options);
      assertEquals(
          plain.generatedIds().length, Arrays.stream(plain.generatedIds()).distinct().count());
      assertTrue(
          Arrays.stream(r.generatedIds()).distinct().count() < r.generatedIds().length,
          "repeats: " + Arrays.toString(r.generatedIds()));
      int start = model.decoderStartTokenId();
      int[] generated = r.generatedIds();
      int judged = 0;
      for (int t = 0; t < generated.length; t++) {
        int[] decoder = new int[t + 1];
        decoder[0] = start;
        System.arraycopy(generated, 0, decoder, 1, t);
        float[][] logits = model.logits(encoder, decoder);
        float[] last = logits[t].clone();
        boolean[] seen = new boolean[last.length];
        for (int id : decoder) { // the decoder's ids, not the encoder's
          if (!seen[id]) {
            seen[id] = true;
            last[id] = last[id] > 0 ? (float) (last[id] / p) : (float) (last[id] * p);
          }
        }
        int[] top = VectorMath.topK(last, 0, last.length, 2);
        if (last[top[0]] - last[top[1]] > 1e-3) {
          judged++;
          assertEquals(top[0], generated[t], "step " + t);
        }
      }
      assertTrue(judged >= generated.length - 2, "judged " + judged);
    }
  }

  @Test
  void streamsAndCancelsLikeTheDecoderOnlyModel() throws Exception {
    int[] encoder = encoderIds();
    try (EncoderDecoderModel model = EncoderDecoderModel.open(dir().resolve("f32"))) {
      GenerationOptions options =
          GenerationOptions.builder().maxNewTokens(10).stopAtEos(false).build();
      GenerationResult expected = model.generate(encoder, options);
      List<Integer> ids = new ArrayList<>();
      try (TokenStream stream = model.stream(encoder, options)) {
        while (stream.hasNext()) {
          GeneratedToken t = stream.next();
          assertEquals("", t.text());
          ids.add(t.id());
        }
        assertArrayEquals(expected.generatedIds(), stream.result().generatedIds());
      }
      assertEquals(Arrays.stream(expected.generatedIds()).boxed().toList(), ids, "the same tokens");
      int[] count = {0};
      GenerationResult cancelled =
          model.generate(
              encoder,
              options,
              (id, text) -> {
                if (++count[0] > 4) {
                  throw new GenerationCancelledException("stop");
                }
              });
      assertEquals(GenerationResult.StopReason.CANCELLED, cancelled.stopReason());
      assertArrayEquals(Arrays.copyOf(expected.generatedIds(), 4), cancelled.generatedIds());
      assertTrue(cancelled.prefillNanos() > 0);
    }
  }
}
