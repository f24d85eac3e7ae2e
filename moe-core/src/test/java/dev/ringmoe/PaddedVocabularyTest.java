package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.synth.SyntheticCheckpoint;
import dev.ringmoe.tokenizer.SyntheticTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose {@code vocab_size} is larger than its tokenizer's (padded embeddings, as Qwen's
 * checkpoints have): a sampled padding id has no text, and generation goes on instead of failing in
 * the streaming decoder.
 */
class PaddedVocabularyTest {
  @TempDir Path tmp;

  @Test
  void sampledPaddingIdsAddNoText() throws IOException {
    ModelConfig config =
        ModelConfig.builder(Architecture.MIXTRAL)
            .layers(1)
            .hiddenSize(32)
            .heads(4)
            .kvHeads(2)
            .experts(2)
            .topK(1)
            .intermediateSize(32)
            .vocabSize(400)
            .build();
    Path dir = tmp.resolve("padded");
    SyntheticCheckpoint.of(config).dtype(DType.F32).seed(2).write(dir);
    SyntheticTokenizer.write(dir, 300); // ids 300..399 are padding
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      GenerationResult r =
          model.generate(
              new int[] {1, 40, 41},
              GenerationOptions.builder()
                  .maxNewTokens(40)
                  .temperature(50)
                  .seed(3)
                  .stopAtEos(false)
                  .build(),
              (id, text) -> {});
      int[] ids = r.generatedIds();
      assertTrue(
          Arrays.stream(ids).anyMatch(id -> id >= 300),
          "no padding id sampled: " + Arrays.toString(ids));
      int[] real = Arrays.stream(ids).filter(id -> id < 300).toArray();
      String prompt = model.tokenizer().decode(new int[] {1, 40, 41});
      int[] all = new int[3 + real.length];
      System.arraycopy(new int[] {1, 40, 41}, 0, all, 0, 3);
      System.arraycopy(real, 0, all, 3, real.length);
      assertEquals(model.tokenizer().decode(all), prompt + r.text());
    }
  }
}
