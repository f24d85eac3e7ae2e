package dev.ringmoe.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 5 (config.json read with the wrong meaning) and the config part of item 3
 * (non-finite or absurd rope_theta / rms_norm_eps): every field {@link ModelConfig#load} uses has
 * one JSON type and a range, and every refusal is a {@link ModelConfigException} naming the file,
 * the field and the value as written. Before, Gson's coercions read {@code "norm_topk_prob": 1} as
 * false, and nulls, arrays or objects escaped as IllegalStateException,
 * UnsupportedOperationException or NumberFormatException naming nothing.
 */
class ModelConfigStrictTest {
  @TempDir Path dir;

  private static JsonObject reference() throws IOException {
    return JsonParser.parseString(
            Files.readString(ReferenceData.mixtralF32().resolve("config.json")))
        .getAsJsonObject();
  }

  private Path file() {
    return dir.resolve("config.json");
  }

  /**
   * Writes the mixtral-tiny config with {@code field} set to the raw JSON text {@code raw} (or
   * removed if null).
   */
  private void writeWith(String field, String raw) throws IOException {
    JsonObject o = reference();
    o.remove(field);
    String rest = o.toString();
    String text = raw == null ? rest : "{\"" + field + "\": " + raw + ", " + rest.substring(1);
    Files.writeString(file(), text);
  }

  private ModelConfig loadWith(String field, String raw) throws IOException {
    writeWith(field, raw);
    return ModelConfig.load(dir);
  }

  /** Asserts the refusal names the file, the field and (when given) the value as written. */
  private ModelConfigException refused(String field, String raw, String... named)
      throws IOException {
    writeWith(field, raw);
    ModelConfigException e =
        assertThrows(ModelConfigException.class, () -> ModelConfig.load(dir), field + ": " + raw);
    String m = e.getMessage();
    assertTrue(m.startsWith(file().toString()), m);
    assertEquals(file(), e.file());
    assertTrue(m.contains(field), m);
    for (String n : named) {
      assertTrue(m.contains(n), m + " should name " + n);
    }
    return e;
  }

  @Test
  void theReportedValuesAreRefusedByName() throws IOException {
    refused("norm_topk_prob", "1", "1", "true or false");
    refused("architectures", "[null]", "[null]");
    refused("hidden_act", "[{}]", "[{}]");
    refused("eos_token_id", "[[\"x\"]]", "[[\"x\"]]");
    // Explicit null in an optional field means the default, as None does in Hugging Face.
    assertFalse(loadWith("tie_word_embeddings", "null").tieWordEmbeddings());
  }

  @Test
  void booleansAreOnlyTrueOrFalse() throws IOException {
    assertEquals(GateKind.SOFTMAX_TOPK, loadWith("norm_topk_prob", "false").gate());
    assertEquals(GateKind.SOFTMAX_TOPK_RENORMALISED, loadWith("norm_topk_prob", "true").gate());
    assertEquals(GateKind.SOFTMAX_TOPK_RENORMALISED, loadWith("norm_topk_prob", "null").gate());
    for (String v : new String[] {"0", "1", "\"true\"", "\"false\"", "[true]", "{}"}) {
      refused("norm_topk_prob", v, v);
      refused("tie_word_embeddings", v, v);
    }
    assertTrue(loadWith("tie_word_embeddings", "true").tieWordEmbeddings());
  }

  @Test
  void integersHaveIntegerSyntaxAndRange() throws IOException {
    for (String v :
        new String[] {
          "2.5",
          "256.0",
          "2.56e2",
          "1e40",
          "\"256\"",
          "[256]",
          "{}",
          "true",
          "2147483648",
          "-2147483649",
          "99999999999999999999999",
          "NaN",
          "Infinity"
        }) {
      refused("hidden_size", v, v);
    }
    refused("hidden_size", "null", "missing required field");
    refused("hidden_size", null, "missing required field");
    refused("num_local_experts", "0", "0");
    refused("num_experts_per_tok", "-2", "-2");
    refused("vocab_size", "0", "0");
    refused("max_position_embeddings", "-1", "-1");
    refused("max_position_embeddings", "4096.5", "4096.5");
    assertEquals(4096, loadWith("max_position_embeddings", "null").maxPositions());
    refused("num_key_value_heads", "3", "3");
    assertEquals(8, loadWith("num_key_value_heads", "null").kvHeads());
    // Before, a negative head_dim was silently replaced by hidden_size / heads.
    refused("head_dim", "-32", "-32");
    assertEquals(32, loadWith("head_dim", "0").headDim());
    assertEquals(64, loadWith("head_dim", "64").headDim());
    refused("head_dim", "33", "33");
    refused("head_dim", "1073741824", "1073741824");
  }

  @Test
  void slidingWindowIsAPositiveIntegerOrNull() throws IOException {
    assertEquals(0, loadWith("sliding_window", "null").slidingWindow());
    assertEquals(0, loadWith("sliding_window", null).slidingWindow());
    assertEquals(4096, loadWith("sliding_window", "4096").slidingWindow());
    refused("sliding_window", "0", "0");
    refused("sliding_window", "-1", "-1");
    refused("sliding_window", "4096.0", "4096.0");
    refused("sliding_window", "false", "false");
  }

  @Test
  void ropeThetaAndRmsNormEpsAreFiniteAndInRange() throws IOException {
    for (String v :
        new String[] {
          "Infinity",
          "-Infinity",
          "NaN",
          "1e308",
          "1e39",
          "1e999",
          "0",
          "-1",
          "0.5",
          "\"1e6\"",
          "[1e6]"
        }) {
      refused("rope_theta", v, v.equals("1e308") || v.equals("1e39") ? "1.0E" : v);
    }
    assertEquals(10000.0, loadWith("rope_theta", "10000").ropeTheta());
    assertEquals(1e6, loadWith("rope_theta", "null").ropeTheta());
    assertEquals(1.0, loadWith("rope_theta", "1").ropeTheta());
    assertEquals(3.4028235e38, loadWith("rope_theta", "3.4028235e38").ropeTheta());
    refused("rope_theta", "3.5e38", "3.5E38");

    for (String v :
        new String[] {
          "Infinity", "NaN", "1e308", "1", "2", "0", "0.0", "-1e-5", "1e-39", "1e-400", "true"
        }) {
      refused("rms_norm_eps", v);
    }
    refused("rms_norm_eps", "1e-400", "1e-400");
    refused("rms_norm_eps", "NaN", "NaN");
    assertEquals(1e-6, loadWith("rms_norm_eps", "1e-6").rmsNormEps());
    assertEquals(1e-5, loadWith("rms_norm_eps", "null").rmsNormEps());

    // The builder applies the same ranges.
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ModelConfig.builder(Architecture.MIXTRAL)
                    .ropeTheta(Double.POSITIVE_INFINITY)
                    .build());
    assertTrue(e.getMessage().contains("rope_theta"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelConfig.builder(Architecture.MIXTRAL).rmsNormEps(Double.NaN).build());
    assertTrue(e.getMessage().contains("rms_norm_eps"), e.getMessage());
  }

  @Test
  void specialIdsLieInTheVocabulary() throws IOException {
    refused("bos_token_id", "1000", "1000", "vocab");
    refused("bos_token_id", "-1", "-1");
    refused("bos_token_id", "[1]", "[1]");
    refused("eos_token_id", "1000", "1000", "vocab");
    refused("eos_token_id", "[2, 1000]", "1000");
    refused("eos_token_id", "[2, 2.5]", "2.5");
    refused("eos_token_id", "\"2\"", "\"2\"");
    assertArrayEquals(new int[] {2, 5}, loadWith("eos_token_id", "[2, 5]").eosTokenIds());
    assertArrayEquals(new int[] {999}, loadWith("eos_token_id", "999").eosTokenIds());
    assertArrayEquals(new int[] {2}, loadWith("eos_token_id", null).eosTokenIds());
    // null (Hugging Face's None) and [] mean no EOS id, not the default.
    assertArrayEquals(new int[0], loadWith("eos_token_id", "null").eosTokenIds());
    assertArrayEquals(new int[0], loadWith("eos_token_id", "[]").eosTokenIds());
    assertEquals(1, loadWith("bos_token_id", "null").bosTokenId());
    assertEquals(0, loadWith("bos_token_id", "0").bosTokenId());
  }

  @Test
  void stringsAndListsHaveTheirTypes() throws IOException {
    refused("architectures", "\"MixtralForCausalLM\"", "\"MixtralForCausalLM\"");
    refused("architectures", "[]", "[]");
    refused("architectures", "[\"MixtralForCausalLM\", 5]", "5");
    refused("architectures", "null", "architectures");
    refused("architectures", null, "architectures");
    UnsupportedArchitectureException u =
        assertThrows(
            UnsupportedArchitectureException.class,
            () -> loadWith("architectures", "[\"GPT2LMHeadModel\", \"MixtralForCausalLM\"]"));
    assertEquals("GPT2LMHeadModel", u.architecture());
    refused("hidden_act", "\"gelu\"", "\"gelu\"");
    refused("hidden_act", "1", "1");
    assertEquals(256, loadWith("hidden_act", "null").hiddenSize());
  }

  @Test
  void scaledRopeIsRefusedRatherThanIgnored() throws IOException {
    refused("rope_scaling", "{\"type\": \"linear\", \"factor\": 2.0}", "linear");
    refused("rope_scaling", "{\"rope_type\": \"yarn\"}", "rope_scaling.factor");
    refused("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": -4.0}", "rope_scaling.factor");
    refused(
        "rope_scaling",
        "{\"rope_type\": \"yarn\", \"factor\": 4, \"beta_fast\": \"x\"}",
        "beta_fast");
    refused("rope_scaling", "{\"type\": \"yarn\", \"factor\": 4, \"truncate\": 0}", "truncate");
    ModelConfig yarn =
        loadWith(
            "rope_scaling",
            "{\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 1024}");
    assertEquals(4.0, yarn.yarn().factor());
    assertEquals(1024, yarn.yarn().originalMaxPositionEmbeddings());
    refused("rope_scaling", "\"linear\"", "\"linear\"");
    refused("rope_scaling", "{\"rope_type\": 1}", "rope_scaling.rope_type");
    assertEquals(256, loadWith("rope_scaling", "null").hiddenSize());
    assertEquals(256, loadWith("rope_scaling", "{\"rope_type\": \"default\"}").hiddenSize());
  }

  @Test
  void unusedFieldsAreIgnoredWhateverTheyHold() throws IOException {
    assertEquals(256, loadWith("initializer_range", "NaN").hiddenSize());
    assertEquals(256, loadWith("torch_dtype", "[{}]").hiddenSize());
  }

  private ModelConfigException refusedText(byte[] bytes, String... named) throws IOException {
    Files.write(file(), bytes);
    ModelConfigException e = assertThrows(ModelConfigException.class, () -> ModelConfig.load(dir));
    assertTrue(e.getMessage().startsWith(file().toString()), e.getMessage());
    for (String n : named) {
      assertTrue(e.getMessage().contains(n), e.getMessage() + " should name " + n);
    }
    return e;
  }

  private ModelConfigException refusedText(String text, String... named) throws IOException {
    return refusedText(text.getBytes(StandardCharsets.UTF_8), named);
  }

  @Test
  void theFileIsStrictUtf8Json() throws IOException {
    String good = Files.readString(ReferenceData.mixtralF32().resolve("config.json"));
    refusedText(good.substring(0, good.length() / 2), "not valid JSON");
    refusedText(
        good.replace("\"hidden_size\": 256,", "\"hidden_size\": 256, \"hidden_size\": 256,"),
        "duplicate key",
        "hidden_size");
    refusedText(
        good.replace("\"hidden_size\": 256,", "\"hidden_size\": 256, \"hidden_size\": 512,"),
        "duplicate key",
        "hidden_size");
    refusedText("\uFEFF" + good, "byte order mark");
    refusedText(good.replace("\"silu\"", "\"si\u0001lu\""), "control character");
    refusedText(good.replace("\"silu\"", "'silu'"), "not valid JSON");
    refusedText(good.replace("\"vocab_size\": 1000", "\"vocab_size\": 1000,"), "not valid JSON");
    refusedText(good.replace("{", "{ // comment\n"), "not valid JSON");
    refusedText(good + "{}", "not valid JSON");
    refusedText("[1, 2]", "not a JSON object");
    refusedText("", "not valid JSON");
    refusedText("[".repeat(100_000), "nested deeper");
    byte[] bytes = good.replace("silu", "sil\u00e9").getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == (byte) 0xC3) {
        bytes[i + 1] = 0x28; // not a continuation byte
      }
    }
    refusedText(bytes, "not valid UTF-8", "byte offset");
    Files.delete(file());
    Files.createDirectory(file());
    assertThrows(ModelConfigException.class, () -> ModelConfig.load(dir));
  }

  @Test
  void everyReferenceMixtralConfigStillLoads() throws IOException {
    ModelConfig tiny = ModelConfig.load(ReferenceData.mixtralF32());
    assertEquals(256, tiny.hiddenSize());
    assertEquals(1e6, tiny.ropeTheta());
    assertEquals(1e-5, tiny.rmsNormEps());
    assertArrayEquals(new int[] {2}, tiny.eosTokenIds());
    assertEquals(1, tiny.bosTokenId());
    assertEquals(GateKind.SOFTMAX_TOPK_RENORMALISED, tiny.gate());
    assertEquals(tiny.toString(), ModelConfig.load(ReferenceData.mixtralBf16()).toString());
    ModelConfig text = ModelConfig.load(ReferenceData.moeText16x());
    assertEquals(16, text.experts());
    assertEquals(10000.0, text.ropeTheta());
    // What toJson writes reads back the same.
    Files.writeString(file(), text.toJson("bfloat16"));
    assertEquals(text.toString(), ModelConfig.load(dir).toString());
  }
}
