package dev.ringmoe.family;

import com.google.gson.JsonObject;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.GroupRouting;
import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.ModelFamily;
import dev.ringmoe.manifest.MlaManifest;
import dev.ringmoe.manifest.WeightManifest;
import java.util.List;

/**
 * DeepSeek-V3, as Hugging Face transformers 4.57's {@code DeepseekV3ForCausalLM} computes it:
 * DeepSeek-V2's multi-head latent attention (query compression with {@code q_lora_rank}), rotary
 * embedding interleaved unless {@code rope_interleave} is false, YaRN with the softmax scale
 * multiplied by {@code mscale(factor, mscale_all_dim)^2}, and the {@code noaux_tc} gate: sigmoid
 * scores, the layer's {@code e_score_correction_bias} added for the choice only, {@code n_group}
 * groups ranked by the sum of their two best biased scores, {@code topk_group} kept, top-k inside
 * them, weights the un-biased scores renormalised ({@code norm_topk_prob}, default true) and
 * multiplied by {@code routed_scaling_factor} (default 2.5).
 *
 * <p>Where Hugging Face differs from DeepSeek's own code, this follows Hugging Face: the experts of
 * dropped groups get the choice score 0.0, not minus infinity, and {@code scoring_func} and {@code
 * topk_method} are not read (Hugging Face always uses sigmoid and {@code noaux_tc}).
 */
public final class DeepseekV3Family implements ModelFamily {
  @Override
  public List<String> architectures() {
    return List.of("DeepseekV3ForCausalLM");
  }

  @Override
  public String modelType() {
    return "deepseek_v3";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SIGMOID_GROUP_LIMITED;
  }

  @Override
  public void configure(ModelConfig.Builder b) {
    b.gate(GateKind.SIGMOID_GROUP_LIMITED)
        .groupRouting(new GroupRouting(1, 1, 2.5, true))
        .mla(new MlaConfig(64, 32, 32, 16, 32, true, true))
        .denseLayers(0);
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    boolean interleave = DeepseekFamilies.orElse(json.optionalBoolean("rope_interleave"), true);
    DeepseekFamilies.read(json, b, interleave, true, 3);
    double scaling =
        DeepseekFamilies.orElse(json.optionalFiniteDouble("routed_scaling_factor"), 2.5);
    boolean renormalise = DeepseekFamilies.orElse(json.optionalBoolean("norm_topk_prob"), true);
    int groups = DeepseekFamilies.orElse(json.optionalInt("n_group"), 8);
    int kept = DeepseekFamilies.orElse(json.optionalInt("topk_group"), 4);
    b.gate(GateKind.SIGMOID_GROUP_LIMITED)
        .groupRouting(DeepseekFamilies.groupRouting(json, groups, kept, scaling, renormalise));
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    DeepseekFamilies.write(c, o);
    o.addProperty("topk_method", "noaux_tc");
    o.addProperty("scoring_func", "sigmoid");
    o.addProperty("norm_topk_prob", c.groupRouting().renormalise());
    o.addProperty("rope_interleave", c.mla().interleavedRope());
  }

  /** The released DeepSeek-V3 stores its linear weights as block-wise FP8. */
  @Override
  public boolean acceptsBlockFp8() {
    return true;
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new MlaManifest(config, DeepseekFamilies.NAMES);
  }
}
