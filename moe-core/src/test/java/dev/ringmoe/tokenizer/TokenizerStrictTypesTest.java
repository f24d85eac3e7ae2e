package dev.ringmoe.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 items 5 and 7 (tokenizer side): the settings the tokenizer reads from its side files have
 * strict types, and its ids fit an int vocabulary size. Each refusal is a {@link
 * TokenizerException} naming the file.
 */
class TokenizerStrictTypesTest {
  @TempDir Path tmp;

  private void copyReference() throws IOException {
    Path src = ReferenceData.mixtralF32();
    for (String f :
        new String[] {
          "tokenizer.json", "tokenizer_config.json", "config.json", "generation_config.json"
        }) {
      Files.copy(src.resolve(f), tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void edit(String file, String key, String json) throws IOException {
    JsonObject o = JsonParser.parseString(Files.readString(tmp.resolve(file))).getAsJsonObject();
    o.add(key, JsonParser.parseString(json));
    Files.writeString(tmp.resolve(file), o.toString());
  }

  private TokenizerException refused(String file) {
    TokenizerException e =
        assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp).close());
    assertTrue(e.getMessage().contains(file), e.getMessage());
    return e;
  }

  @Test
  void numbersAreNotBooleansAndListsOfListsAreNotIds() throws IOException {
    copyReference();
    edit("tokenizer_config.json", "add_bos_token", "1");
    assertTrue(refused("tokenizer_config.json").getMessage().contains("add_bos_token"));

    copyReference();
    edit("config.json", "eos_token_id", "[[\"x\"]]");
    TokenizerException e = refused("config.json");
    assertTrue(
        e.getMessage().contains("eos_token_id") && e.getMessage().contains("[[\"x\"]]"),
        e.getMessage());

    copyReference();
    edit("generation_config.json", "bos_token_id", "1.5");
    assertTrue(refused("generation_config.json").getMessage().contains("bos_token_id"));

    copyReference();
    edit("tokenizer_config.json", "eos_token", "[{}]");
    assertTrue(refused("tokenizer_config.json").getMessage().contains("eos_token"));
  }

  @Test
  void anIdOfIntMaxWouldOverflowTheVocabularySize() throws IOException {
    // Before: accepted, with vocabSize() = Integer.MIN_VALUE, and every decode then failed.
    copyReference();
    JsonObject tok =
        JsonParser.parseString(Files.readString(tmp.resolve("tokenizer.json"))).getAsJsonObject();
    JsonArray added = tok.getAsJsonArray("added_tokens");
    added.get(added.size() - 1).getAsJsonObject().addProperty("id", Integer.MAX_VALUE);
    Files.writeString(tmp.resolve("tokenizer.json"), tok.toString());
    TokenizerException e = refused("tokenizer.json");
    assertTrue(e.getMessage().contains("2147483647"), e.getMessage());

    tok.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("▁the", -1);
    Files.writeString(tmp.resolve("tokenizer.json"), tok.toString());
    assertTrue(refused("tokenizer.json").getMessage().contains("-1"));
  }

  @Test
  void vocabSizeCountsAddedTokens() throws IOException {
    try (Tokenizer t = Tokenizer.load(ReferenceData.mixtralF32())) {
      assertEquals(1000, t.vocabSize());
    }
  }
}
