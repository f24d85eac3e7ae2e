package dev.ringmoe.family;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import java.util.stream.IntStream;

/**
 * The config fields Qwen2-MoE and Qwen3-MoE share: {@code num_experts}, {@code
 * moe_intermediate_size} for the experts and {@code intermediate_size} for dense layers, which
 * {@code mlp_only_layers} and {@code decoder_sparse_step} pick as Hugging Face does (layer i is
 * sparse iff it is not in {@code mlp_only_layers} and {@code (i + 1) % decoder_sparse_step == 0}),
 * and the sliding window only when {@code use_sliding_window} is on.
 */
final class QwenMoeFamilies {
  private QwenMoeFamilies() {}

  static void read(ConfigFields json, ModelConfig.Builder b, int layers)
      throws ModelConfigException {
    b.experts(json.requiredInt("num_experts"))
        .intermediateSize(json.requiredInt("moe_intermediate_size"))
        .denseIntermediateSize(json.requiredInt("intermediate_size"));
    int step = orElse(json.optionalInt("decoder_sparse_step"), 1);
    if (step < 1) {
      throw json.refuse("decoder_sparse_step must be at least 1, was " + step);
    }
    int[] mlpOnly = orElse(json.optionalInts("mlp_only_layers"), new int[0]);
    boolean[] listed = new boolean[layers];
    for (int m : mlpOnly) {
      if (m < 0 || m >= layers) {
        throw json.refuse("mlp_only_layers names layer " + m + ", outside [0, " + layers + ")");
      }
      listed[m] = true;
    }
    b.denseLayers(
        IntStream.range(0, layers).filter(l -> listed[l] || (l + 1) % step != 0).toArray());
    if (orElse(json.optionalBoolean("use_sliding_window"), false)) {
      throw json.refuse("use_sliding_window true is not supported yet");
    }
    b.slidingWindow(0);
  }

  static <T> T orElse(T value, T fallback) {
    return value != null ? value : fallback;
  }

  static void write(ModelConfig c, JsonObject o) {
    o.addProperty("num_experts", c.experts());
    o.addProperty("moe_intermediate_size", c.intermediateSize());
    o.addProperty("intermediate_size", c.denseIntermediateSize());
    o.addProperty("decoder_sparse_step", 1);
    JsonArray dense = new JsonArray();
    for (int l = 0; l < c.layers(); l++) {
      if (!c.isMoeLayer(l)) {
        dense.add(l);
      }
    }
    o.add("mlp_only_layers", dense);
    o.addProperty("use_sliding_window", false);
  }
}
