package dev.ringmoe.family;

import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.ModelFamily;
import dev.ringmoe.config.QkNorm;
import dev.ringmoe.manifest.StandardManifest;
import dev.ringmoe.manifest.WeightManifest;
import java.util.List;

/**
 * Qwen3-MoE: a per-head RMSNorm of the queries and keys before rotary embedding, {@code head_dim}
 * independent of {@code hidden_size / num_attention_heads}, optional attention biases ({@code
 * attention_bias}), dense layers as in Qwen2-MoE, no shared expert.
 */
public final class Qwen3MoeFamily implements ModelFamily {
  @Override
  public List<String> architectures() {
    return List.of("Qwen3MoeForCausalLM");
  }

  @Override
  public String modelType() {
    return "qwen3_moe";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SOFTMAX_TOPK;
  }

  @Override
  public void configure(ModelConfig.Builder b) {
    b.qkNorm(QkNorm.PER_HEAD);
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    QwenMoeFamilies.read(json, b, json.requiredInt("num_hidden_layers"));
    b.attentionBias(QwenMoeFamilies.orElse(json.optionalBoolean("attention_bias"), false))
        .qkNorm(QkNorm.PER_HEAD);
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    QwenMoeFamilies.write(c, o);
    o.addProperty("attention_bias", c.attentionBias());
    o.addProperty("head_dim", c.headDim());
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new StandardManifest(config, Qwen2MoeFamily.NAMES);
  }
}
