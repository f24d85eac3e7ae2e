package dev.ringmoe.family;

import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.ModelFamily;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.StandardManifest;
import dev.ringmoe.manifest.TensorNames;
import dev.ringmoe.manifest.WeightManifest;
import java.util.List;

/**
 * Mixtral: every layer sparse, a softmax top-k gate renormalised over the kept experts, SwiGLU
 * experts w1/w3/w2.
 */
public final class MixtralFamily implements ModelFamily {
  static final TensorNames NAMES =
      TensorNames.llamaStyle("block_sparse_moe")
          .name(Role.EXPERT_GATE, "model.layers.%d.block_sparse_moe.experts.%d.w1.weight")
          .name(Role.EXPERT_UP, "model.layers.%d.block_sparse_moe.experts.%d.w3.weight")
          .name(Role.EXPERT_DOWN, "model.layers.%d.block_sparse_moe.experts.%d.w2.weight")
          .build();

  @Override
  public List<String> architectures() {
    return List.of("MixtralForCausalLM");
  }

  @Override
  public String modelType() {
    return "mixtral";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SOFTMAX_TOPK_RENORMALISED;
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    b.experts(json.requiredInt("num_local_experts"))
        .intermediateSize(json.requiredInt("intermediate_size"));
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    o.addProperty("num_local_experts", c.experts());
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new StandardManifest(config, NAMES);
  }
}
