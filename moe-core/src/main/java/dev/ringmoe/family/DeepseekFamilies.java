package dev.ringmoe.family;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.GroupRouting;
import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.TensorNames;
import java.util.stream.IntStream;

/**
 * What DeepSeek-V2 and DeepSeek-V3 share: their tensor names, multi-head latent attention read from
 * {@code q_lora_rank} (null: no query compression), {@code kv_lora_rank}, {@code qk_nope_head_dim},
 * {@code qk_rope_head_dim} and {@code v_head_dim}; {@code n_routed_experts} experts of {@code
 * moe_intermediate_size}, {@code n_shared_experts} shared ones (one SwiGLU of {@code
 * n_shared_experts * moe_intermediate_size}, ungated), the first {@code first_k_dense_replace}
 * layers dense ({@code intermediate_size}), and {@code routed_scaling_factor}. As in Hugging Face,
 * {@code num_key_value_heads} and {@code head_dim} do not apply to MLA ({@code head_dim} is {@code
 * qk_rope_head_dim}); {@code attention_bias true} and a {@code moe_layer_freq} other than 1 are
 * refused.
 */
final class DeepseekFamilies {
  static final TensorNames NAMES =
      TensorNames.llamaStyle("mlp")
          .name(Role.QUERY_A, "model.layers.%d.self_attn.q_a_proj.weight")
          .name(Role.QUERY_A_NORM, "model.layers.%d.self_attn.q_a_layernorm.weight")
          .name(Role.QUERY_B, "model.layers.%d.self_attn.q_b_proj.weight")
          .name(Role.KV_A, "model.layers.%d.self_attn.kv_a_proj_with_mqa.weight")
          .name(Role.KV_A_NORM, "model.layers.%d.self_attn.kv_a_layernorm.weight")
          .name(Role.KV_B, "model.layers.%d.self_attn.kv_b_proj.weight")
          .name(Role.SCORE_CORRECTION_BIAS, "model.layers.%d.mlp.gate.e_score_correction_bias")
          .name(Role.SHARED_GATE, "model.layers.%d.mlp.shared_experts.gate_proj.weight")
          .name(Role.SHARED_UP, "model.layers.%d.mlp.shared_experts.up_proj.weight")
          .name(Role.SHARED_DOWN, "model.layers.%d.mlp.shared_experts.down_proj.weight")
          .build();

  private DeepseekFamilies() {}

  /**
   * Reads the shared fields; {@code denseDefault} is Hugging Face's default {@code
   * first_k_dense_replace} (V2 0, V3 3), {@code scalingDefault} its {@code routed_scaling_factor}.
   */
  static void read(
      ConfigFields json,
      ModelConfig.Builder b,
      boolean interleavedRope,
      boolean yarnSoftmaxScale,
      int denseDefault)
      throws ModelConfigException {
    int layers = json.requiredInt("num_hidden_layers");
    int moeIntermediate = json.requiredInt("moe_intermediate_size");
    b.experts(json.requiredInt("n_routed_experts"))
        .intermediateSize(moeIntermediate)
        .denseIntermediateSize(json.requiredInt("intermediate_size"));
    int shared = orElse(json.optionalInt("n_shared_experts"), 0);
    if (shared < 0) {
      throw json.refuse("n_shared_experts must not be negative, was " + shared);
    }
    long sharedWidth = (long) shared * moeIntermediate;
    if (sharedWidth > Integer.MAX_VALUE) {
      throw json.refuse(
          "n_shared_experts ("
              + shared
              + ") * moe_intermediate_size ("
              + moeIntermediate
              + ") exceeds "
              + Integer.MAX_VALUE);
    }
    b.sharedExpertIntermediateSize((int) sharedWidth).sharedExpertGate(false);
    int dense = orElse(json.optionalInt("first_k_dense_replace"), denseDefault);
    if (dense < 0 || dense > layers) {
      throw json.refuse(
          "first_k_dense_replace must be between 0 and num_hidden_layers ("
              + layers
              + "), was "
              + dense);
    }
    b.denseLayers(IntStream.range(0, dense).toArray());
    Integer freq = json.optionalInt("moe_layer_freq");
    if (freq != null && freq != 1) {
      // DeepSeek's own code makes only every moe_layer_freq-th layer sparse; Hugging Face ignores
      // the field, so the two disagree on such a model: refused rather than guessed.
      throw json.refuse("moe_layer_freq " + freq + " is not supported (only 1)");
    }
    if (orElse(json.optionalBoolean("attention_bias"), false)) {
      throw json.refuse("attention_bias true is not supported for DeepSeek attention");
    }
    Integer qLora = json.optionalInt("q_lora_rank");
    int rope = json.requiredInt("qk_rope_head_dim");
    try {
      b.mla(
          new MlaConfig(
              qLora == null ? 0 : positive(json, "q_lora_rank", qLora),
              json.requiredInt("kv_lora_rank"),
              json.requiredInt("qk_nope_head_dim"),
              rope,
              json.requiredInt("v_head_dim"),
              interleavedRope,
              yarnSoftmaxScale));
    } catch (IllegalArgumentException e) {
      throw json.refuse(e.getMessage());
    }
    // ModelConfig derives head_dim (qk_rope_head_dim) and the KV heads (the heads) for MLA
    b.slidingWindow(0);
  }

  static GroupRouting groupRouting(
      ConfigFields json, int groups, int topkGroup, double scaling, boolean renormalise)
      throws ModelConfigException {
    try {
      return new GroupRouting(groups, topkGroup, scaling, renormalise);
    } catch (IllegalArgumentException e) {
      throw json.refuse(e.getMessage());
    }
  }

  private static int positive(ConfigFields json, String field, int v) throws ModelConfigException {
    if (v <= 0) {
      throw json.refuse(field + " must be positive or null, was " + v);
    }
    return v;
  }

  static <T> T orElse(T value, T fallback) {
    return value != null ? value : fallback;
  }

  static void write(ModelConfig c, JsonObject o) {
    MlaConfig m = c.mla();
    o.addProperty("n_routed_experts", c.experts());
    o.addProperty("moe_intermediate_size", c.intermediateSize());
    o.addProperty("intermediate_size", c.denseIntermediateSize());
    o.addProperty("n_shared_experts", c.sharedExpertIntermediateSize() / c.intermediateSize());
    int dense = 0;
    while (dense < c.layers() && !c.isMoeLayer(dense)) {
      dense++;
    }
    o.addProperty("first_k_dense_replace", dense);
    o.addProperty("moe_layer_freq", 1);
    o.addProperty("attention_bias", false);
    if (m.qLoraRank() > 0) {
      o.addProperty("q_lora_rank", m.qLoraRank());
    } else {
      o.add("q_lora_rank", JsonNull.INSTANCE);
    }
    o.addProperty("kv_lora_rank", m.kvLoraRank());
    o.addProperty("qk_nope_head_dim", m.qkNopeHeadDim());
    o.addProperty("qk_rope_head_dim", m.qkRopeHeadDim());
    o.addProperty("v_head_dim", m.vHeadDim());
    o.addProperty("head_dim", m.qkRopeHeadDim());
    o.addProperty("routed_scaling_factor", c.groupRouting().routedScalingFactor());
    o.addProperty("n_group", c.groupRouting().groups());
    o.addProperty("topk_group", c.groupRouting().topkGroup());
  }
}
