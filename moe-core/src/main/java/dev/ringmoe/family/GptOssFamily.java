package dev.ringmoe.family;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.ExpertActivation;
import dev.ringmoe.config.ExpertFormat;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.ModelFamily;
import dev.ringmoe.config.YarnScaling;
import dev.ringmoe.manifest.ExpertLayout;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.StandardManifest;
import dev.ringmoe.manifest.TensorNames;
import dev.ringmoe.manifest.WeightManifest;
import java.util.ArrayList;
import java.util.List;

/**
 * gpt-oss (OpenAI's open-weight MoE, Hugging Face's {@code GptOssForCausalLM}): attention sinks,
 * biases on q/k/v/o ({@code attention_bias}), on the router and on the experts, {@code layer_types}
 * alternating sliding-window and full attention, a router that keeps the top k logits and takes a
 * softmax over them, experts stacked per layer with gate and up fused and interleaved, the clamped
 * SwiGLU {@code (up + 1) * gate * sigmoid(1.702 * gate)} ({@code swiglu_limit}, default 7), YaRN
 * rotary scaling. Experts are read either dense ({@code gate_up_proj} [E, hidden, 2I], {@code
 * down_proj} [E, I, hidden]) or, with {@code quantization_config.quant_method "mxfp4"}, as the
 * released checkpoints' MXFP4 blocks and scales.
 */
public final class GptOssFamily implements ModelFamily {
  /** Hugging Face's {@code GptOssConfig} defaults. */
  static final int DEFAULT_SLIDING_WINDOW = 128;

  static final double DEFAULT_SWIGLU_LIMIT = 7.0;

  static final double DEFAULT_ROPE_THETA = 150000.0;
  static final int DEFAULT_HEAD_DIM = 64;
  static final int DEFAULT_KV_HEADS = 8;
  static final int DEFAULT_MAX_POSITIONS = 131072;

  /** Hugging Face's {@code rope_scaling} when the config has none. */
  static final YarnScaling DEFAULT_YARN =
      new YarnScaling(32.0, 4096, null, null, null, 32.0, 1.0, false);

  private static final String SLIDING = "sliding_attention";
  private static final String FULL = "full_attention";

  private static TensorNames.Builder names() {
    String l = "model.layers.%d.";
    return TensorNames.llamaStyle("mlp")
        .name(Role.OUTPUT_BIAS, l + "self_attn.o_proj.bias")
        .name(Role.ATTENTION_SINKS, l + "self_attn.sinks")
        .name(Role.ROUTER, l + "mlp.router.weight")
        .name(Role.ROUTER_BIAS, l + "mlp.router.bias")
        .name(Role.EXPERT_GATE_BIAS, l + "mlp.experts.gate_up_proj_bias")
        .name(Role.EXPERT_UP_BIAS, l + "mlp.experts.gate_up_proj_bias")
        .name(Role.EXPERT_DOWN_BIAS, l + "mlp.experts.down_proj_bias");
  }

  static final TensorNames DENSE =
      names()
          .expertLayout(ExpertLayout.STACKED_INTERLEAVED_TRANSPOSED)
          .name(Role.EXPERT_GATE, "model.layers.%d.mlp.experts.gate_up_proj")
          .name(Role.EXPERT_UP, "model.layers.%d.mlp.experts.gate_up_proj")
          .name(Role.EXPERT_DOWN, "model.layers.%d.mlp.experts.down_proj")
          .build();

  static final TensorNames MXFP4 =
      names()
          .expertLayout(ExpertLayout.STACKED_INTERLEAVED_MXFP4)
          .name(Role.EXPERT_GATE, "model.layers.%d.mlp.experts.gate_up_proj_blocks")
          .name(Role.EXPERT_UP, "model.layers.%d.mlp.experts.gate_up_proj_blocks")
          .name(Role.EXPERT_DOWN, "model.layers.%d.mlp.experts.down_proj_blocks")
          .build();

  @Override
  public List<String> architectures() {
    return List.of("GptOssForCausalLM");
  }

  @Override
  public String modelType() {
    return "gpt_oss";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.TOPK_SOFTMAX;
  }

  @Override
  public void configure(ModelConfig.Builder b) {
    b.gate(GateKind.TOPK_SOFTMAX)
        .attentionBias(true)
        .outputBias(true)
        .attentionSinks(true)
        .routerBias(true)
        .expertBias(true)
        .expertActivation(ExpertActivation.CLAMPED_SWIGLU, DEFAULT_SWIGLU_LIMIT)
        // HF's default rope_scaling, with the factor itself rather than a ratio of position counts
        .yarn(new YarnScaling(32.0, null, null, null, null, 32.0, 1.0, false));
  }

  @Override
  public boolean readsQuantizationConfig() {
    return true; // MXFP4 experts, read in readConfig
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    int layers = json.requiredInt("num_hidden_layers");
    hfDefaults(json, b);
    boolean bias = QwenMoeFamilies.orElse(json.optionalBoolean("attention_bias"), true);
    b.experts(json.requiredInt("num_local_experts"))
        .intermediateSize(json.requiredInt("intermediate_size"))
        // the router is always top-k then softmax; norm_topk_prob, if written, is not read by HF
        .gate(GateKind.TOPK_SOFTMAX)
        .attentionBias(bias)
        .outputBias(bias)
        .attentionSinks(true)
        .routerBias(true)
        .expertBias(true);
    Double limit = json.optionalFiniteDouble("swiglu_limit");
    double l = limit != null ? limit : DEFAULT_SWIGLU_LIMIT;
    if (!(l > 0)) {
      throw json.refuse("swiglu_limit must be a positive number, was " + l);
    }
    b.expertActivation(ExpertActivation.CLAMPED_SWIGLU, l);

    List<String> types = json.optionalStrings("layer_types");
    if (types == null) {
      // HF's default: sliding, full, sliding, full, ...
      types = new ArrayList<>();
      for (int i = 0; i < layers; i++) {
        types.add((i + 1) % 2 == 1 ? SLIDING : FULL);
      }
    }
    if (types.size() != layers) {
      throw json.refuse(
          "layer_types has " + types.size() + " entries for " + layers + " num_hidden_layers");
    }
    List<Integer> full = new ArrayList<>();
    boolean sliding = false;
    for (int i = 0; i < layers; i++) {
      String t = types.get(i);
      if (FULL.equals(t)) {
        full.add(i);
      } else if (SLIDING.equals(t)) {
        sliding = true;
      } else {
        throw json.refuse(
            "layer_types["
                + i
                + "] is \""
                + t
                + "\"; gpt-oss layers are \""
                + SLIDING
                + "\" or \""
                + FULL
                + "\"");
      }
    }
    b.fullAttentionLayers(full.stream().mapToInt(Integer::intValue).toArray());
    if (sliding && !json.has("sliding_window")) {
      if (json.isPresent("sliding_window")) {
        throw json.refuse("layer_types has sliding_attention layers but sliding_window is null");
      }
      b.slidingWindow(DEFAULT_SLIDING_WINDOW);
    }

    ConfigFields q = json.optionalFields("quantization_config");
    if (q != null) {
      String method = q.optionalString("quant_method");
      if (!"mxfp4".equals(method)) {
        throw json.refuse(
            "quantization_config.quant_method "
                + (method == null ? "is missing" : "\"" + method + "\" is not supported")
                + "; gpt-oss checkpoints are read dense or as \"mxfp4\"");
      }
      // read strictly: a list of strings if present (the modules kept in bf16)
      q.optionalStrings("modules_to_not_convert");
      b.expertFormat(ExpertFormat.MXFP4);
    }
  }

  /**
   * {@code GptOssConfig}'s defaults where they differ from the shared ones: {@code head_dim} 64 and
   * {@code num_key_value_heads} 8 when absent (null: derived, as everywhere), {@code
   * max_position_embeddings} 131072, {@code rope_theta} 150000, and without {@code rope_scaling}
   * (absent or null) YaRN factor 32 from 4096 positions; {@code rope_type "default"} is plain RoPE.
   * {@code swiglu_alpha} other than 1.702 is refused.
   */
  private static void hfDefaults(ConfigFields json, ModelConfig.Builder b)
      throws ModelConfigException {
    if (!json.isPresent("head_dim")) {
      b.headDim(DEFAULT_HEAD_DIM);
    }
    if (!json.isPresent("num_key_value_heads")) {
      b.kvHeads(DEFAULT_KV_HEADS);
    }
    if (!json.has("max_position_embeddings")) {
      b.maxPositions(DEFAULT_MAX_POSITIONS);
    }
    if (!json.has("rope_theta")) {
      b.ropeTheta(DEFAULT_ROPE_THETA);
    }
    ConfigFields rope = json.optionalFields("rope_scaling");
    if (rope == null) {
      b.yarn(DEFAULT_YARN);
    } else {
      String type =
          rope.has("rope_type") ? rope.optionalString("rope_type") : rope.optionalString("type");
      if (!"yarn".equals(type)) {
        // ModelConfig refused any other scaling; "default" is plain RoPE
        b.yarn(null);
      }
    }
    Double alpha = json.optionalFiniteDouble("swiglu_alpha");
    if (alpha != null && alpha != 1.702) {
      throw json.refuse(
          "swiglu_alpha " + alpha + " is not supported (gpt-oss's clamped SwiGLU uses 1.702)");
    }
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    o.addProperty("num_local_experts", c.experts());
    // always written: absent, GptOssConfig reads 64, not hidden_size / num_attention_heads
    o.addProperty("head_dim", c.headDim());
    o.addProperty("attention_bias", c.attentionBias());
    o.addProperty("swiglu_limit", c.swigluLimit());
    JsonArray types = new JsonArray();
    for (int l = 0; l < c.layers(); l++) {
      types.add(c.attentionWindow(l) > 0 ? SLIDING : FULL);
    }
    o.add("layer_types", types);
    if (c.expertFormat() == ExpertFormat.MXFP4) {
      JsonObject q = new JsonObject();
      q.addProperty("quant_method", "mxfp4");
      o.add("quantization_config", q);
    }
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new StandardManifest(
        config, config.expertFormat() == ExpertFormat.MXFP4 ? MXFP4 : DENSE);
  }
}
