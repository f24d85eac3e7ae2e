package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.Sampler;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.synth.SyntheticCheckpoint;
import dev.ringmoe.tokenizer.TokenizerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 items 6, 7 (build-time tokenizer check) and 9 (the model's API): counts, ids and states
 * the model refuses up front, with a message naming what is wrong, instead of failing deep inside
 * or allocating by a count.
 */
class ModelInputLimitsTest {
  /** A model with only 12 positions, so that running into them is fast. */
  private static final int POSITIONS = 12;

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
          .maxPositions(POSITIONS)
          .build();

  @BeforeEach
  void writeCheckpoint() throws IOException {
    SyntheticCheckpoint.of(config).dtype(DType.BF16).seed(3).write(dir);
  }

  private MoeModel build() throws IOException {
    return MoeModel.builder().checkpoint(dir).build();
  }

  // Item 6: maxNewTokens(Integer.MAX_VALUE) allocated new int[Integer.MAX_VALUE]
  // (OutOfMemoryError).
  @Test
  void hugeMaxNewTokensStopsAtTheModelsPositions() throws IOException {
    int[] prompt = {1, 40, 41, 42, 43};
    try (MoeModel model = build()) {
      GenerationResult r =
          model.generate(
              prompt,
              GenerationOptions.builder().maxNewTokens(Integer.MAX_VALUE).stopAtEos(false).build(),
              TokenListener.NONE);
      assertEquals(GenerationResult.StopReason.MAX_POSITIONS, r.stopReason());
      // Positions 0..11 run through the model; the token after the last one is generated but never
      // run.
      assertEquals(POSITIONS - prompt.length + 1, r.generatedIds().length);
      // The same tokens a bounded greedy run gives, step by step from full forward passes.
      int[] all = r.allIds();
      for (int t = prompt.length; t < all.length; t++) {
        float[][] logits = model.logits(java.util.Arrays.copyOf(all, t));
        assertEquals(Sampler.argmax(logits[t - 1]), all[t], "token " + t);
      }
      GenerationResult bounded =
          model.generate(
              prompt,
              GenerationOptions.builder().maxNewTokens(3).stopAtEos(false).build(),
              TokenListener.NONE);
      assertEquals(GenerationResult.StopReason.MAX_NEW_TOKENS, bounded.stopReason());
      assertArrayEquals(java.util.Arrays.copyOf(r.generatedIds(), 3), bounded.generatedIds());
      // A prompt that fills every position still gets its one next token.
      int[] full = new int[POSITIONS];
      java.util.Arrays.fill(full, 7);
      GenerationResult last =
          model.generate(full, GenerationOptions.greedy(Integer.MAX_VALUE), TokenListener.NONE);
      assertEquals(1, last.generatedIds().length);
    }
  }

  @Test
  void promptLongerThanThePositionsIsRefusedUpFront() throws IOException {
    try (MoeModel model = build()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  model.generate(
                      new int[POSITIONS + 1],
                      GenerationOptions.greedy(Integer.MAX_VALUE),
                      TokenListener.NONE));
      assertTrue(
          e.getMessage().contains("13 tokens") && e.getMessage().contains("12 positions"),
          e.getMessage());
    }
  }

  // Item 9: generate({-1}, maxNewTokens 0) returned a result without looking at the ids.
  @Test
  void promptIdsAreAlwaysValidated() throws IOException {
    try (MoeModel model = build()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  model.generate(new int[] {-1}, GenerationOptions.greedy(0), TokenListener.NONE));
      assertTrue(e.getMessage().contains("token id -1 at position 0"), e.getMessage());
      assertTrue(e.getMessage().contains("[0, 300)"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  model.generate(
                      new int[] {1, 2, 300}, GenerationOptions.greedy(4), TokenListener.NONE));
      assertTrue(e.getMessage().contains("token id 300 at position 2"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.generate(new int[0], GenerationOptions.greedy(4), TokenListener.NONE));
      assertTrue(e.getMessage().contains("no token ids"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.logits(List.of(new int[] {1, 2}, new int[] {3, -5})));
      assertTrue(e.getMessage().contains("sequence 1: token id -5 at position 1"), e.getMessage());
      // maxNewTokens 0 on a valid prompt is still fine: nothing generated.
      assertEquals(
          0,
          model
              .generate(new int[] {1}, GenerationOptions.greedy(0), TokenListener.NONE)
              .generatedIds()
              .length);
    }
  }

  // Item 9: logitsIncremental(new int[0]) returned an empty array where logits threw.
  @Test
  void emptyAndBadSequencesAreRefusedAlikeByEveryLogitsMethod() throws IOException {
    try (MoeModel model = build()) {
      for (int[] bad : new int[][] {{}, {1, 300}, new int[POSITIONS + 1]}) {
        IllegalArgumentException a =
            assertThrows(IllegalArgumentException.class, () -> model.logits(bad));
        IllegalArgumentException b =
            assertThrows(IllegalArgumentException.class, () -> model.logitsIncremental(bad));
        IllegalArgumentException c =
            assertThrows(IllegalArgumentException.class, () -> model.logits(bad, null));
        assertEquals(a.getMessage(), b.getMessage());
        assertEquals(a.getMessage(), c.getMessage());
      }
      assertTrue(
          assertThrows(IllegalArgumentException.class, () -> model.logitsIncremental(new int[0]))
              .getMessage()
              .contains("no token ids"));
    }
  }

  // Item 9: generate(String) after close said "Tokenizer is closed".
  @Test
  void everyCallAfterCloseSaysTheModelIsClosed() throws IOException {
    MoeModel model = build();
    model.close();
    List<org.junit.jupiter.api.function.Executable> calls =
        List.of(
            () -> model.generate("hello", GenerationOptions.greedy(2)),
            () -> model.generate("hello", GenerationOptions.greedy(2), TokenListener.NONE),
            () -> model.generate(new int[] {1}, GenerationOptions.greedy(2), TokenListener.NONE),
            () -> model.generate(new int[] {-1}, GenerationOptions.greedy(0), TokenListener.NONE),
            () -> model.tokenizer(),
            () -> model.logits(new int[] {1}),
            () -> model.logits(new int[0]),
            () -> model.logits(List.of(new int[] {1})),
            () -> model.logits(new int[] {1}, null),
            () -> model.logitsIncremental(new int[0]),
            () -> model.ringStats(),
            () -> model.resetStats());
    for (org.junit.jupiter.api.function.Executable call : calls) {
      IllegalStateException e = assertThrows(IllegalStateException.class, call);
      assertEquals("the model is closed", e.getMessage());
    }
    assertEquals(300, model.config().vocabSize());
    assertEquals(dir, model.directory());
  }

  // Item 9: a file given as the checkpoint said "no such file or directory".
  @Test
  void aFileOrAMissingPathIsNamedForWhatItIs() throws IOException {
    Path file = dir.resolve("config.json");
    NotDirectoryException e =
        assertThrows(
            NotDirectoryException.class, () -> MoeModel.builder().checkpoint(file).build());
    assertEquals(file.toString(), e.getFile());
    Path absent = dir.resolve("absent");
    NoSuchFileException missing =
        assertThrows(
            NoSuchFileException.class, () -> MoeModel.builder().checkpoint(absent).build());
    assertEquals(absent.toString(), missing.getFile());
  }

  // Item 7 (build time): a tokenizer with more ids than the model was accepted and failed inside
  // generate.
  @Test
  void aTokenizerLargerThanTheModelsVocabularyIsRefusedAtBuild() throws IOException {
    // mixtral-tiny's tokenizer has 1000 ids; this model has 300.
    Files.copy(
        ReferenceData.mixtralBf16().resolve("tokenizer.json"),
        dir.resolve("tokenizer.json"),
        StandardCopyOption.REPLACE_EXISTING);
    TokenizerException e = assertThrows(TokenizerException.class, this::build);
    assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    assertTrue(
        e.getMessage().contains("largest token id 999")
            && e.getMessage().contains("vocab_size 300"),
        e.getMessage());
  }

  @Test
  void aTokenizerIdThatOverflowsTheVocabularySizeIsRefusedAtBuild() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    JsonObject added = new JsonObject();
    added.addProperty("id", Integer.MAX_VALUE);
    added.addProperty("content", "<huge>");
    added.addProperty("single_word", false);
    added.addProperty("lstrip", false);
    added.addProperty("rstrip", false);
    added.addProperty("normalized", false);
    added.addProperty("special", true);
    json.getAsJsonArray("added_tokens").add(added);
    Files.writeString(file, json.toString());
    Exception e = assertThrows(Exception.class, this::build);
    assertTrue(e instanceof TokenizerException, e.toString());
    assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void aSmallerTokenizerThanThePaddedVocabularyIsFine() throws IOException {
    // A 259-id tokenizer with a 300-row embedding (padded vocabulary, as many real checkpoints
    // have).
    dev.ringmoe.tokenizer.SyntheticTokenizer.write(dir, 259);
    try (MoeModel model = build()) {
      assertEquals(259, model.tokenizer().vocabSize());
      int[] ids = model.tokenizer().encode("hi");
      assertEquals(ids.length, model.logits(ids).length);
    }
  }
}
