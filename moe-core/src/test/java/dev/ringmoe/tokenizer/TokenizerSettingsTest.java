package dev.ringmoe.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How tokenizer_config.json, config.json and generation_config.json settings change encode and the
 * special ids.
 */
class TokenizerSettingsTest {

  private static final String TEXT = "Hello world";

  @TempDir Path tmp;

  private Path src() {
    return ReferenceData.root().resolve("mixtral-tiny/f32");
  }

  private JsonObject read(String name) throws IOException {
    return JsonParser.parseString(Files.readString(src().resolve(name))).getAsJsonObject();
  }

  private void write(String name, JsonObject json) throws IOException {
    Files.writeString(tmp.resolve(name), json.toString());
  }

  private int[] core() throws IOException {
    try (Tokenizer t = Tokenizer.load(src())) {
      return t.encode(TEXT, false);
    }
  }

  private static int[] prepend(int first, int[] rest) {
    int[] out = new int[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }

  @Test
  void addBosFalseRemovesThePostProcessorsBos() throws IOException {
    write("tokenizer.json", read("tokenizer.json"));
    JsonObject cfg = read("tokenizer_config.json");
    cfg.addProperty("add_bos_token", false);
    write("tokenizer_config.json", cfg);
    try (Tokenizer t = Tokenizer.load(tmp)) {
      assertArrayEquals(core(), t.encode(TEXT));
      assertEquals(OptionalInt.of(1), t.bosId(), "bos_token still known");
    }
  }

  @Test
  void addBosTrueAddsBosThePostProcessorLacks() throws IOException {
    JsonObject tj = read("tokenizer.json");
    tj.add("post_processor", JsonNull.INSTANCE);
    write("tokenizer.json", tj);
    write("tokenizer_config.json", read("tokenizer_config.json"));
    try (Tokenizer t = Tokenizer.load(tmp)) {
      int[] ids = t.encode(TEXT);
      assertArrayEquals(prepend(1, core()), ids);
      assertEquals(1, t.encode("<s>" + TEXT)[0]);
      assertTrue(t.encode("<s>" + TEXT)[1] != 1, "no double BOS");
    }
  }

  @Test
  void withoutConfigThePostProcessorDecides() throws IOException {
    JsonObject tj = read("tokenizer.json");
    tj.add("post_processor", JsonNull.INSTANCE);
    write("tokenizer.json", tj);
    try (Tokenizer t = Tokenizer.load(tmp)) {
      assertArrayEquals(core(), t.encode(TEXT));
      assertEquals(OptionalInt.empty(), t.bosId());
      assertEquals(Set.of(), t.eosIds());
    }
    write("tokenizer.json", read("tokenizer.json"));
    try (Tokenizer t = Tokenizer.load(tmp)) {
      assertArrayEquals(prepend(1, core()), t.encode(TEXT));
    }
  }

  @Test
  void addEosAppendsEos() throws IOException {
    write("tokenizer.json", read("tokenizer.json"));
    JsonObject cfg = read("tokenizer_config.json");
    cfg.addProperty("add_eos_token", true);
    write("tokenizer_config.json", cfg);
    try (Tokenizer t = Tokenizer.load(tmp)) {
      int[] ids = t.encode(TEXT);
      int[] core = core();
      assertEquals(core.length + 2, ids.length);
      assertEquals(1, ids[0]);
      assertEquals(2, ids[ids.length - 1]);
      assertArrayEquals(core, Arrays.copyOfRange(ids, 1, ids.length - 1));
      assertArrayEquals(core, t.encode(TEXT, false));
    }
  }

  @Test
  void eosListFromGenerationConfigWins() throws IOException {
    write("tokenizer.json", read("tokenizer.json"));
    write("tokenizer_config.json", read("tokenizer_config.json"));
    JsonObject config = new JsonObject();
    config.addProperty("bos_token_id", 1);
    config.addProperty("eos_token_id", 7);
    write("config.json", config);
    JsonObject gen = new JsonObject();
    JsonArray eos = new JsonArray();
    eos.add(2);
    eos.add(5);
    gen.add("eos_token_id", eos);
    write("generation_config.json", gen);
    try (Tokenizer t = Tokenizer.load(tmp)) {
      assertEquals(List.of(2, 5), List.copyOf(t.eosIds()));
      assertEquals(OptionalInt.of(1), t.bosId());
    }
    Files.delete(tmp.resolve("generation_config.json"));
    try (Tokenizer t = Tokenizer.load(tmp)) {
      assertEquals(Set.of(7), t.eosIds());
    }
  }

  @Test
  void malformedConfigNamesTheFile() throws IOException {
    write("tokenizer.json", read("tokenizer.json"));
    Files.writeString(tmp.resolve("tokenizer_config.json"), "{ not json");
    TokenizerException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            TokenizerException.class, () -> Tokenizer.load(tmp));
    assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
  }

  @Test
  void djlIsPutInOfflineModeWhenTheHostDidNotChoose() throws IOException {
    assumeTrue(System.getenv("DJL_OFFLINE") == null, "host chose DJL_OFFLINE itself");
    try (Tokenizer t = Tokenizer.load(src())) {
      assertEquals(1000, t.vocabSize());
    }
    assertTrue(ai.djl.util.Utils.isOfflineMode(), "DJL offline mode");
    String flavor =
        System.getenv("RUST_FLAVOR") != null
            ? System.getenv("RUST_FLAVOR")
            : System.getProperty("RUST_FLAVOR");
    assertEquals("cpu", flavor);
  }
}
