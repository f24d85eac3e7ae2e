package dev.ringmoe.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.chat.ChatMessage;
import dev.ringmoe.chat.ChatTemplate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntheticTokenizerTest {

  private static final String[] TEXTS = {
    "The quick brown fox jumps over the lazy dog.",
    "Grüße, 世界!",
    "  leading spaces, tabs\tand\nnewlines; emoji 😀 and symbols ~`|\\{}[]<>",
    "x=42; y = x ** 2 # done",
    "",
  };

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(ints = {259, 300, 1000, 32000})
  void writesWorkingTokenizerOfExactVocabSize(int vocabSize) throws IOException {
    Path dir = tmp.resolve("v" + vocabSize);
    SyntheticTokenizer.write(dir, vocabSize);
    assertTrue(Files.isRegularFile(dir.resolve("special_tokens_map.json")));

    JsonObject root =
        JsonParser.parseString(Files.readString(dir.resolve("tokenizer.json"))).getAsJsonObject();
    JsonObject model = root.getAsJsonObject("model");
    JsonObject vocab = model.getAsJsonObject("vocab");
    assertEquals(vocabSize, vocab.size());
    Set<Integer> ids = new HashSet<>();
    for (Map.Entry<String, com.google.gson.JsonElement> e : vocab.entrySet()) {
      ids.add(e.getValue().getAsInt());
    }
    assertEquals(vocabSize, ids.size(), "ids are distinct");
    assertEquals(0, ids.stream().mapToInt(Integer::intValue).min().getAsInt());
    assertEquals(vocabSize - 1, ids.stream().mapToInt(Integer::intValue).max().getAsInt());
    assertEquals(0, vocab.get("<unk>").getAsInt());
    assertEquals(1, vocab.get("<s>").getAsInt());
    assertEquals(2, vocab.get("</s>").getAsInt());
    assertEquals(3, vocab.get("<0x00>").getAsInt());
    assertEquals(258, vocab.get("<0xFF>").getAsInt());
    assertTrue(model.get("byte_fallback").getAsBoolean());
    // Every merge joins two tokens of the vocabulary into a third.
    for (var m : model.getAsJsonArray("merges")) {
      String[] parts = m.getAsString().split(" ");
      assertEquals(2, parts.length, m.getAsString());
      assertTrue(
          vocab.has(parts[0]) && vocab.has(parts[1]) && vocab.has(parts[0] + parts[1]),
          m.getAsString());
    }
    if (vocabSize >= 1000) {
      assertTrue(model.getAsJsonArray("merges").size() > 0);
    }

    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertEquals(vocabSize, tok.vocabSize());
      assertEquals(OptionalInt.of(1), tok.bosId());
      assertEquals(Set.of(2), tok.eosIds());
      for (String text : TEXTS) {
        int[] encoded = tok.encode(text);
        assertEquals(1, encoded[0], "BOS first");
        assertFalse(encoded.length > 1 && encoded[1] == 1, "single BOS");
        for (int id : encoded) {
          assertTrue(id >= 0 && id < vocabSize);
        }
        assertEquals(text, tok.decode(encoded), "round trip at vocab " + vocabSize);
      }
      if (vocabSize >= 1000) {
        // Merges are used: common English text needs fewer tokens than characters.
        String text = TEXTS[0];
        assertTrue(tok.encode(text, false).length < text.length() * 3 / 4);
      }
    }
  }

  @Test
  void deterministic() throws IOException {
    SyntheticTokenizer.write(tmp.resolve("a"), 1000);
    SyntheticTokenizer.write(tmp.resolve("b"), 1000);
    for (String f :
        new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("a").resolve(f)),
          Files.readAllBytes(tmp.resolve("b").resolve(f)),
          f);
    }
  }

  @Test
  void sameStyleAsMixtralTiny() throws IOException {
    SyntheticTokenizer.write(tmp, 1000);
    JsonObject ours =
        JsonParser.parseString(Files.readString(tmp.resolve("tokenizer.json"))).getAsJsonObject();
    Path ref = ReferenceData.root().resolve("mixtral-tiny/f32");
    JsonObject theirs =
        JsonParser.parseString(Files.readString(ref.resolve("tokenizer.json"))).getAsJsonObject();
    for (String key :
        new String[] {"added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder"}) {
      assertEquals(theirs.get(key), ours.get(key), key);
    }
    JsonObject ourCfg =
        JsonParser.parseString(Files.readString(tmp.resolve("tokenizer_config.json")))
            .getAsJsonObject();
    JsonObject theirCfg =
        JsonParser.parseString(Files.readString(ref.resolve("tokenizer_config.json")))
            .getAsJsonObject();
    // mixtral-tiny carries no chat template; ours carries Mistral-Instruct's (see below)
    assertTrue(ourCfg.remove("chat_template").isJsonPrimitive());
    assertEquals(theirCfg, ourCfg);
  }

  @Test
  void carriesAChatTemplateThatRendersMistralInstructTurns() throws IOException {
    SyntheticTokenizer.write(tmp, 1000);
    ChatTemplate t = ChatTemplate.fromCheckpoint(tmp).orElseThrow();
    // the same bytes as the published template transformers renders in the reference set
    assertEquals(
        Files.readString(
            ReferenceData.root()
                .resolve("chat-templates/mistralai-v1-Mistral-7B-Instruct-v0.2.jinja"),
            StandardCharsets.UTF_8),
        t.source());
    assertEquals(
        "<s> [INST] Be brief.\n\nHi [/INST] Hello</s> [INST] Again [/INST]",
        t.render(
            List.of(
                ChatMessage.system("Be brief."),
                ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello"),
                ChatMessage.user("Again")),
            true));
  }

  @Test
  void rejectsTooSmallVocab() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SyntheticTokenizer.write(tmp, 258));
    assertTrue(e.getMessage().contains("259"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("tokenizer.json")));
  }
}
