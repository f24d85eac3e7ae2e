package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.checkpoint.CheckpointFormatException;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeepSeek configurations and FP8 checkpoints that RingMoE cannot run as written are refused with
 * the file, the field or the tensor named: FP8 weights without {@code quantization_config}, a block
 * size that does not fit the scales, a quantization config on a family without FP8, and the config
 * values Hugging Face and DeepSeek's code read differently or that do not fit together.
 */
class DeepseekRefusalsTest {
  @TempDir Path tmp;

  /** A copy of a reference checkpoint with its config.json edited. */
  private Path copy(Path source, Consumer<JsonObject> edit) throws IOException {
    Path dir = tmp.resolve("ckpt");
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    Path config = dir.resolve("config.json");
    JsonObject o = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    edit.accept(o);
    Files.writeString(config, o.toString());
    return dir;
  }

  private static Path fp8() {
    return ReferenceData.family("deepseek_v3_fp8/block128", "fp8");
  }

  private static void assertNames(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }
  }

  @Test
  void fp8WeightsWithoutQuantizationConfigAreRefusedNamingTheTensor() throws IOException {
    Path dir = copy(fp8(), o -> o.remove("quantization_config"));
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> MoeModel.builder().checkpoint(dir).build());
    assertNames(e, "model.layers.0.self_attn.q_a_proj.weight", "F8_E4M3", "quantization_config");
  }

  @Test
  void aBlockSizeThatDoesNotFitTheScalesIsRefusedNamingTheScales() throws IOException {
    Path dir =
        copy(
            fp8(),
            o -> {
              JsonArray block = new JsonArray();
              block.add(32);
              block.add(32);
              o.getAsJsonObject("quantization_config").add("weight_block_size", block);
            });
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class, () -> MoeModel.builder().checkpoint(dir).build());
    assertNames(e, "weight_scale_inv", "weight_block_size", "[2, 4]");
  }

  @Test
  void quantizationConfigsRingMoeDoesNotReadAreRefused() throws IOException {
    Path awq =
        copy(
            fp8(),
            o -> o.getAsJsonObject("quantization_config").addProperty("quant_method", "awq"));
    assertNames(
        assertThrows(ModelConfigException.class, () -> ModelConfig.load(awq)),
        "config.json",
        "quant_method",
        "awq");
    Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    Path e5m2 =
        copy(fp8(), o -> o.getAsJsonObject("quantization_config").addProperty("fmt", "e5m2"));
    assertNames(
        assertThrows(ModelConfigException.class, () -> ModelConfig.load(e5m2)), "fmt", "e5m2");
  }

  @Test
  void fp8OnAFamilyWithoutItIsRefused() throws IOException {
    Path dir =
        copy(
            ReferenceData.family("deepseek_v2", "bf16"),
            o -> {
              JsonObject q = new JsonObject();
              q.addProperty("quant_method", "fp8");
              JsonArray block = new JsonArray();
              block.add(128);
              block.add(128);
              q.add("weight_block_size", block);
              o.add("quantization_config", q);
            });
    assertNames(
        assertThrows(ModelConfigException.class, () -> ModelConfig.load(dir)),
        "FP8",
        "DeepseekV2ForCausalLM");
  }

  @Test
  void configValuesThatDoNotFitAreRefusedNamingTheField() throws IOException {
    Path v3 = ReferenceData.family("deepseek_v3", "f32");
    String[][] cases = {
      {"moe_layer_freq", "2", "moe_layer_freq"},
      {"attention_bias", "true", "attention_bias"},
      {"n_group", "3", "n_group"},
      {"topk_group", "5", "topk_group"},
      {"first_k_dense_replace", "4", "first_k_dense_replace"},
      {"qk_rope_head_dim", "15", "qk_rope_head_dim"},
      {"routed_scaling_factor", "0", "routed_scaling_factor"}
    };
    for (String[] c : cases) {
      Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      Path dir = copy(v3, o -> o.add(c[0], JsonParser.parseString(c[1])));
      assertNames(assertThrows(ModelConfigException.class, () -> ModelConfig.load(dir)), c[2]);
    }
    Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    Path v2 =
        copy(
            ReferenceData.family("deepseek_v2", "f32"),
            o -> o.addProperty("topk_method", "noaux_tc"));
    assertNames(
        assertThrows(ModelConfigException.class, () -> ModelConfig.load(v2)),
        "topk_method",
        "noaux_tc");
  }
}
