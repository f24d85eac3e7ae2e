package dev.ringmoe.family;

import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.ModelFamily;
import dev.ringmoe.manifest.StandardManifest;
import dev.ringmoe.manifest.TensorNames;
import dev.ringmoe.manifest.WeightManifest;
import java.util.List;

/**
 * Qwen2-MoE: q/k/v biases, a shared expert in every sparse layer scaled by {@code
 * sigmoid(shared_expert_gate(x))}, dense layers ({@code mlp_only_layers}), a softmax top-k gate not
 * renormalised unless {@code norm_topk_prob}.
 */
public final class Qwen2MoeFamily implements ModelFamily {
  static final TensorNames NAMES = TensorNames.llamaStyle("mlp").build();

  @Override
  public List<String> architectures() {
    return List.of("Qwen2MoeForCausalLM");
  }

  @Override
  public String modelType() {
    return "qwen2_moe";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SOFTMAX_TOPK;
  }

  @Override
  public void configure(ModelConfig.Builder b) {
    b.attentionBias(true).sharedExpertGate(true);
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    QwenMoeFamilies.read(json, b, json.requiredInt("num_hidden_layers"));
    int shared = json.requiredInt("shared_expert_intermediate_size");
    b.sharedExpertIntermediateSize(shared).sharedExpertGate(shared > 0).attentionBias(true);
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    QwenMoeFamilies.write(c, o);
    o.addProperty("shared_expert_intermediate_size", c.sharedExpertIntermediateSize());
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new StandardManifest(config, NAMES);
  }
}
