package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.checkpoint.CheckpointFormatException;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.UnsupportedArchitectureException;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.synth.SyntheticCheckpoint;
import dev.ringmoe.tokenizer.TokenizerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad checkpoints are refused at build time with an exception naming the file, the tensor and the
 * problem.
 */
class ModelLoadingErrorsTest {
  @TempDir Path dir;
  private final ModelConfig config =
      ModelConfig.builder(Architecture.MIXTRAL)
          .layers(2)
          .hiddenSize(32)
          .heads(4)
          .kvHeads(2)
          .experts(4)
          .topK(2)
          .intermediateSize(48)
          .vocabSize(300)
          .build();

  @BeforeEach
  void writeCheckpoint() throws IOException {
    SyntheticCheckpoint.of(config).dtype(DType.BF16).write(dir);
  }

  private MoeModel build() throws IOException {
    return MoeModel.builder().checkpoint(dir).build();
  }

  @Test
  void validCheckpointLoadsAndGenerates() throws IOException {
    try (MoeModel model = build()) {
      assertEquals(
          5,
          model
              .generate(
                  "hello world",
                  GenerationOptions.builder().maxNewTokens(5).stopAtEos(false).build())
              .generatedIds()
              .length);
    }
  }

  @Test
  void unsupportedArchitectureIsRefusedByName() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(
        file, Files.readString(file).replace("MixtralForCausalLM", "GPT2LMHeadModel"));
    UnsupportedArchitectureException e =
        assertThrows(UnsupportedArchitectureException.class, this::build);
    assertTrue(e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());
    assertTrue(e.getMessage().contains("MixtralForCausalLM"), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void missingConfigIsNamed() throws IOException {
    Files.delete(dir.resolve("config.json"));
    ModelConfigException e = assertThrows(ModelConfigException.class, this::build);
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }

  @Test
  void inconsistentConfigIsNamed() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(
        file,
        Files.readString(file).replace("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9"));
    ModelConfigException e = assertThrows(ModelConfigException.class, this::build);
    assertTrue(e.getMessage().contains("num_experts_per_tok"), e.getMessage());
  }

  @Test
  void tensorTheConfigRequiresButTheCheckpointLacks() throws IOException {
    // A config with more layers than the checkpoint has: layer 2's tensors are missing.
    Path file = dir.resolve("config.json");
    Files.writeString(
        file,
        Files.readString(file).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, this::build);
    assertTrue(e.getMessage().contains("model.layers.2."), e.getMessage());
  }

  @Test
  void tensorWithTheWrongShapeIsNamed() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(
        file,
        Files.readString(file).replace("\"intermediate_size\": 48", "\"intermediate_size\": 64"));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, this::build);
    assertTrue(e.getMessage().contains("experts.0.w1.weight"), e.getMessage());
    assertTrue(
        e.getMessage().contains("[48, 32]") && e.getMessage().contains("[64, 32]"), e.getMessage());
  }

  @Test
  void missingTokenizerIsNamedWhenTextIsNeeded() throws IOException {
    Files.delete(dir.resolve("tokenizer.json"));
    try (MoeModel model = build()) {
      // Token ids still work without a tokenizer.
      assertEquals(3, model.logits(new int[] {1, 5, 7}).length);
      TokenizerException e =
          assertThrows(
              TokenizerException.class, () -> model.generate("hello", GenerationOptions.greedy(2)));
      assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
    TokenizerException e =
        assertThrows(
            TokenizerException.class,
            () -> MoeModel.builder().checkpoint(dir).requireTokenizer(true).build());
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
  }

  @Test
  void tokenIdOutsideVocabularyIsRefused() throws IOException {
    try (MoeModel model = build()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> model.logits(new int[] {1, 300}));
      assertTrue(e.getMessage().contains("300"), e.getMessage());
    }
  }

  @Test
  void closedModelRefusesWork() throws IOException {
    MoeModel model = build();
    model.close();
    model.close();
    assertThrows(IllegalStateException.class, () -> model.logits(new int[] {1}));
  }
}
