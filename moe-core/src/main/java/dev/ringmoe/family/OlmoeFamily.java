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
 * OLMoE: an RMSNorm over each token's whole q and k projections (before the head split and rotary
 * embedding), every layer sparse with {@code num_experts} experts of width {@code
 * intermediate_size}, no shared expert. {@code clip_qkv} must be null (clamping is not
 * implemented).
 */
public final class OlmoeFamily implements ModelFamily {
  @Override
  public List<String> architectures() {
    return List.of("OlmoeForCausalLM");
  }

  @Override
  public String modelType() {
    return "olmoe";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SOFTMAX_TOPK;
  }

  @Override
  public void configure(ModelConfig.Builder b) {
    b.qkNorm(QkNorm.WHOLE);
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    if (json.has("clip_qkv")) {
      throw json.refuse("clip_qkv is not supported (it must be null)");
    }
    b.experts(json.requiredInt("num_experts"))
        .intermediateSize(json.requiredInt("intermediate_size"))
        .attentionBias(QwenMoeFamilies.orElse(json.optionalBoolean("attention_bias"), false))
        .qkNorm(QkNorm.WHOLE);
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    o.addProperty("num_experts", c.experts());
    o.addProperty("attention_bias", c.attentionBias());
    o.add("clip_qkv", com.google.gson.JsonNull.INSTANCE);
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new StandardManifest(config, Qwen2MoeFamily.NAMES);
  }
}
