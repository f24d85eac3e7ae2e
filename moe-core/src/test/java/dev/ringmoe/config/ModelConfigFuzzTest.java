package dev.ringmoe.config;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.ringmoe.ReferenceData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's fuzz requirement for configurations: thousands of seeded mutations of every reference
 * {@code config.json} (wrong types, null, arrays, objects, huge, negative, non-finite and
 * fractional numbers, removed and duplicated fields, truncation, invalid UTF-8, stray characters).
 * Every outcome must be either a load whose configuration satisfies the documented invariants or a
 * {@link ModelConfigException} (or its subclass {@link UnsupportedArchitectureException}) naming
 * the file; any other exception, or a hang, fails.
 *
 * <p>Configurations of families RingMoE does not run are refused as unsupported architectures; to
 * exercise the field checks on every configuration, each is also mutated with {@code architectures}
 * set to Mixtral (and its expert count copied to {@code num_local_experts}).
 */
class ModelConfigFuzzTest {
  private static final int MUTATIONS = 4000;
  private static final long SEED = 0x5EED_0008L;
  private static final String MIXTRAL = "MixtralForCausalLM";

  /** The fields ModelConfig reads: most mutations target one of them. */
  private static final String[] USED = {
    "architectures",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "intermediate_size",
    "num_local_experts",
    "num_experts_per_tok",
    "vocab_size",
    "rms_norm_eps",
    "rope_theta",
    "max_position_embeddings",
    "sliding_window",
    "tie_word_embeddings",
    "norm_topk_prob",
    "hidden_act",
    "bos_token_id",
    "eos_token_id",
    "rope_scaling"
  };

  /**
   * Raw JSON values a field may be set to (written verbatim, so NaN and Infinity appear as Python
   * writes them).
   */
  private static final String[] VALUES = {
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "2",
    "8",
    "2.5",
    "8.0",
    "1e3",
    "1e40",
    "1e308",
    "-1e308",
    "1e999",
    "1e-400",
    "1e-5",
    "1e-39",
    "0.5",
    "NaN",
    "Infinity",
    "-Infinity",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "99999999999999999999999999",
    "\"\"",
    "\"silu\"",
    "\"8\"",
    "\"MixtralForCausalLM\"",
    "[]",
    "[null]",
    "[1]",
    "[2, 5]",
    "[[1]]",
    "[[\"x\"]]",
    "[{}]",
    "{}",
    "{\"a\": 1}",
    "{\"rope_type\": \"default\"}",
    "{\"type\": \"linear\", \"factor\": 2.0}",
    "[\"MixtralForCausalLM\"]",
    "[\"MixtralForCausalLM\", null]",
    "-0",
    "0.0",
    "1000000.0",
    "999",
    "1000",
    "4096",
    "4095"
  };

  @TempDir Path dir;

  private final Gson gson =
      new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

  /**
   * Every distinct reference config.json, plus a Mixtral-architecture variant of each non-Mixtral
   * one.
   */
  private List<JsonObject> seeds() throws IOException {
    Map<String, JsonObject> byText = new LinkedHashMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(ReferenceData.root())) {
      files =
          s.filter(p -> p.getFileName().toString().equals("config.json"))
              .sorted()
              .collect(Collectors.toList());
    }
    for (Path f : files) {
      String text = Files.readString(f);
      byText.putIfAbsent(text, JsonParser.parseString(text).getAsJsonObject());
    }
    assertTrue(byText.size() >= 10, "reference configs found: " + files);
    List<JsonObject> out = new ArrayList<>(byText.values());
    for (JsonObject o : byText.values()) {
      if (!o.toString().contains(MIXTRAL)) {
        JsonObject m = o.deepCopy();
        JsonArray arch = new JsonArray();
        arch.add(MIXTRAL);
        m.add("architectures", arch);
        for (String experts :
            new String[] {"num_experts", "n_routed_experts", "num_local_experts"}) {
          if (m.has(experts) && !m.has("num_local_experts")) {
            m.add("num_local_experts", m.get(experts));
          }
        }
        out.add(m);
      }
    }
    return out;
  }

  @Test
  void everyMutationLoadsOrIsRefusedNamingTheFile() throws IOException {
    List<JsonObject> seeds = seeds();
    Path file = dir.resolve("config.json");
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          SplittableRandom random = new SplittableRandom(SEED);
          for (int i = 0; i < MUTATIONS; i++) {
            JsonObject seed = seeds.get(random.nextInt(seeds.size()));
            StringBuilder what =
                new StringBuilder("mutation " + i + " of " + seed.get("architectures") + ":");
            byte[] bytes = mutate(seed, random, what);
            Files.write(file, bytes);
            try {
              ModelConfig c = ModelConfig.load(dir);
              String broken = invariantBroken(c);
              if (broken != null) {
                failures.add(what + " loaded with " + broken + ": " + c);
              }
              count(outcomes, "loaded");
            } catch (UnsupportedArchitectureException e) {
              checkNamed(e, file, what, failures);
              count(outcomes, "unsupported architecture");
            } catch (ModelConfigException e) {
              checkNamed(e, file, what, failures);
              count(
                  outcomes,
                  e.getMessage().contains("not valid JSON")
                      ? "refused: syntax"
                      : e.getMessage().contains("UTF-8")
                          ? "refused: encoding"
                          : e.getMessage().contains("field '")
                                  || e.getMessage().contains("missing required")
                              ? "refused: field type"
                              : "refused: range or consistency");
            } catch (Throwable t) {
              failures.add(what + " threw " + t);
            }
            if (failures.size() > 20) {
              break;
            }
          }
        });
    System.out.println("config fuzz outcomes: " + outcomes);
    if (!failures.isEmpty()) {
      fail(failures.size() + " bad outcomes, first ones:\n" + String.join("\n", failures));
    }
    // The mutations reach every kind of outcome, field validation included, not only the
    // architecture check.
    for (String kind :
        new String[] {
          "loaded",
          "unsupported architecture",
          "refused: syntax",
          "refused: encoding",
          "refused: field type",
          "refused: range or consistency"
        }) {
      // Every reference family is supported now: unsupported architectures come only from
      // mutations of the architectures field itself, a few per run.
      int least = kind.equals("unsupported architecture") ? 1 : 40;
      assertTrue(outcomes.getOrDefault(kind, 0) >= least, kind + " in " + outcomes);
    }
  }

  private static void count(Map<String, Integer> outcomes, String kind) {
    outcomes.merge(kind, 1, Integer::sum);
  }

  private static void checkNamed(
      ModelConfigException e, Path file, CharSequence what, List<String> failures) {
    if (!e.getMessage().startsWith(file.toString()) || !file.equals(e.file())) {
      failures.add(what + " refused without naming " + file + ": " + e.getMessage());
    }
  }

  /** The documented invariants of a loaded configuration, or null when they hold. */
  private static String invariantBroken(ModelConfig c) {
    if (c.hiddenSize() <= 0
        || c.layers() <= 0
        || c.heads() <= 0
        || c.intermediateSize() <= 0
        || c.experts() <= 0
        || c.vocabSize() <= 0
        || c.maxPositions() <= 0) {
      return "a non-positive size";
    }
    if (c.kvHeads() <= 0
        || c.heads() % c.kvHeads() != 0
        || c.headDim() <= 0
        || c.headDim() % 2 != 0) {
      return "bad heads";
    }
    if (c.topK() < 1 || c.topK() > c.experts()) {
      return "bad top-k";
    }
    if (!(c.rmsNormEps() > 0 && c.rmsNormEps() < 1)
        || !(c.ropeTheta() >= 1)
        || !Float.isFinite((float) c.ropeTheta())) {
      return "eps " + c.rmsNormEps() + " theta " + c.ropeTheta();
    }
    if (c.slidingWindow() < 0
        || c.bosTokenId() < 0
        || c.bosTokenId() >= c.vocabSize()
        || Arrays.stream(c.eosTokenIds()).anyMatch(id -> id < 0 || id >= c.vocabSize())) {
      return "bad window or special ids";
    }
    if (c.float32WeightBytes() <= 0) {
      return "overflowing size";
    }
    return null;
  }

  private byte[] mutate(JsonObject seed, SplittableRandom random, StringBuilder what) {
    JsonObject o = seed.deepCopy();
    Map<String, String> raw = new LinkedHashMap<>();
    int edits = 1 + random.nextInt(3);
    List<String> duplicates = new ArrayList<>();
    for (int k = 0; k < edits; k++) {
      String key = random.nextInt(5) > 0 ? USED[random.nextInt(USED.length)] : randomKey(o, random);
      int kind = random.nextInt(10);
      if (kind < 5) {
        String v = VALUES[random.nextInt(VALUES.length)];
        setRaw(o, raw, key, v);
        what.append(" ").append(key).append("=").append(v);
      } else if (kind == 5) {
        o.remove(key);
        what.append(" remove ").append(key);
      } else if (kind == 6 && o.has(key)) {
        JsonArray a = new JsonArray();
        a.add(o.get(key));
        o.add(key, a);
        what.append(" wrap ").append(key).append(" in []");
      } else if (kind == 7 && o.has(key)) {
        JsonObject w = new JsonObject();
        w.add("value", o.get(key));
        o.add(key, w);
        what.append(" wrap ").append(key).append(" in {}");
      } else if (kind == 8) {
        duplicates.add(key);
        what.append(" duplicate ").append(key);
      } else {
        // A number near the original: off by one, scaled, negated or fractional.
        JsonElement e = o.get(key);
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
          double d = e.getAsDouble();
          String[] near = {
            String.valueOf((long) d + 1),
            String.valueOf((long) d - 1),
            String.valueOf(-(long) d),
            String.valueOf((long) d * 1024),
            String.valueOf(d / 3),
            String.valueOf(d) + "e300"
          };
          String v = near[random.nextInt(near.length)];
          setRaw(o, raw, key, v);
          what.append(" ").append(key).append("=").append(v);
        } else {
          what.append(" (no-op on ").append(key).append(")");
        }
      }
    }
    String text = gson.toJson(o);
    for (Map.Entry<String, String> r : raw.entrySet()) {
      text = text.replace(gson.toJson(r.getKey()), r.getValue());
    }
    for (String key : duplicates) {
      JsonElement v = o.has(key) ? o.get(key) : new JsonPrimitive(1);
      text = "{\n  " + gson.toJson(key) + ": " + gson.toJson(v) + "," + text.substring(1);
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int textKind = random.nextInt(8);
    if (textKind == 0) {
      int cut = random.nextInt(bytes.length);
      what.append(" truncate at ").append(cut);
      return Arrays.copyOf(bytes, cut);
    }
    if (textKind == 1) {
      byte[][] junk = {
        {(byte) 0xFF},
        {(byte) 0xC3},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        {0},
        {'\t'},
        {'\n'},
        {'}'},
        {','},
        {'"'},
        {'\\'},
        {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}
      };
      byte[] j = junk[random.nextInt(junk.length)];
      int at = random.nextInt(bytes.length + 1);
      what.append(" insert ").append(Arrays.toString(j)).append(" at ").append(at);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(bytes, 0, at);
      out.write(j, 0, j.length);
      out.write(bytes, at, bytes.length - at);
      return out.toByteArray();
    }
    if (textKind == 2 && bytes.length > 0) {
      int at = random.nextInt(bytes.length);
      what.append(" delete byte ").append(at);
      byte[] out = new byte[bytes.length - 1];
      System.arraycopy(bytes, 0, out, 0, at);
      System.arraycopy(bytes, at + 1, out, at, bytes.length - at - 1);
      return out;
    }
    return bytes;
  }

  /**
   * Sets {@code key} to a placeholder that is replaced by the raw JSON text after serialisation.
   */
  private static void setRaw(JsonObject o, Map<String, String> raw, String key, String value) {
    String marker = "\u0001raw" + raw.size() + "\u0001";
    raw.put(marker, value);
    o.addProperty(key, marker);
  }

  private static String randomKey(JsonObject o, SplittableRandom random) {
    List<String> keys = new ArrayList<>(o.keySet());
    return keys.isEmpty() ? "hidden_size" : keys.get(random.nextInt(keys.size()));
  }
}
