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
 * DeepSeek-V2 (and V2-Lite), as Hugging Face transformers 4.57's {@code DeepseekV2ForCausalLM}
 * computes it: multi-head latent attention (query compression when {@code q_lora_rank} is set),
 * rotary embedding on the {@code qk_rope_head_dim} part in the interleaved-pair layout, YaRN where
 * {@code rope_scaling} says so, a softmax gate with {@code topk_method} {@code greedy} or {@code
 * group_limited_greedy} ({@code n_group}, {@code topk_group}) whose weights are multiplied by
 * {@code routed_scaling_factor}, shared experts, the first {@code first_k_dense_replace} layers
 * dense.
 *
 * <p>Where Hugging Face differs from DeepSeek's own code, this follows Hugging Face: YaRN's softmax
 * mscale ({@code mscale_all_dim}) is never applied (only the cos/sin attention factor), {@code
 * norm_topk_prob} is ignored (weights are never renormalised), and {@code scoring_func} is read as
 * softmax whatever it says.
 */
public final class DeepseekV2Family implements ModelFamily {
  @Override
  public List<String> architectures() {
    return List.of("DeepseekV2ForCausalLM");
  }

  @Override
  public String modelType() {
    return "deepseek_v2";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SOFTMAX_GROUP_LIMITED;
  }

  @Override
  public void configure(ModelConfig.Builder b) {
    b.gate(GateKind.SOFTMAX_GROUP_LIMITED)
        .groupRouting(new GroupRouting(1, 1, 1.0, false))
        .mla(new MlaConfig(0, 32, 32, 16, 32, true, false))
        .denseLayers(0);
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    DeepseekFamilies.read(json, b, true, false, 0);
    double scaling =
        DeepseekFamilies.orElse(json.optionalFiniteDouble("routed_scaling_factor"), 1.0);
    String method = DeepseekFamilies.orElse(json.optionalString("topk_method"), "greedy");
    GroupRouting g;
    if (method.equals("greedy")) {
      g = DeepseekFamilies.groupRouting(json, 1, 1, scaling, false);
    } else if (method.equals("group_limited_greedy")) {
      Integer groups = json.optionalInt("n_group");
      Integer kept = json.optionalInt("topk_group");
      if (groups == null || kept == null) {
        throw json.refuse("topk_method group_limited_greedy needs n_group and topk_group");
      }
      g = DeepseekFamilies.groupRouting(json, groups, kept, scaling, false);
    } else {
      throw json.refuse(
          "topk_method \"" + method + "\" is not supported (greedy or group_limited_greedy)");
    }
    b.gate(GateKind.SOFTMAX_GROUP_LIMITED).groupRouting(g);
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    DeepseekFamilies.write(c, o);
    GroupRouting g = c.groupRouting();
    o.addProperty(
        "topk_method",
        g.groups() > 1 && g.topkGroup() < g.groups() ? "group_limited_greedy" : "greedy");
    o.addProperty("scoring_func", "softmax");
    o.addProperty("norm_topk_prob", false);
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new MlaManifest(config, DeepseekFamilies.NAMES);
  }
}
