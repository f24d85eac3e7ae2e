package dev.ringmoe.manifest;

import java.util.EnumMap;
import java.util.Map;

/**
 * A family's checkpoint names for each {@link Role}: {@code String.format} patterns taking the
 * layer (layer roles) or the layer and the expert (routed expert roles); global roles take none.
 * Immutable once built.
 */
public final class TensorNames {
  private final Map<Role, String> patterns;
  private final ExpertLayout expertLayout;

  private TensorNames(Map<Role, String> patterns, ExpertLayout expertLayout) {
    this.patterns = new EnumMap<>(patterns);
    this.expertLayout = expertLayout;
  }

  /**
   * How the experts are stored; for a stacked layout the expert roles' patterns take the layer
   * only.
   */
  public ExpertLayout expertLayout() {
    return expertLayout;
  }

  /**
   * Hugging Face's Llama-style names shared by Mixtral, Qwen-MoE and OLMoE, with the MoE block
   * under {@code moe}.
   */
  public static Builder llamaStyle(String moe) {
    String l = "model.layers.%d.";
    return new Builder()
        .name(Role.EMBEDDING, "model.embed_tokens.weight")
        .name(Role.FINAL_NORM, "model.norm.weight")
        .name(Role.LM_HEAD, "lm_head.weight")
        .name(Role.INPUT_NORM, l + "input_layernorm.weight")
        .name(Role.POST_ATTENTION_NORM, l + "post_attention_layernorm.weight")
        .name(Role.QUERY, l + "self_attn.q_proj.weight")
        .name(Role.KEY, l + "self_attn.k_proj.weight")
        .name(Role.VALUE, l + "self_attn.v_proj.weight")
        .name(Role.OUTPUT, l + "self_attn.o_proj.weight")
        .name(Role.QUERY_BIAS, l + "self_attn.q_proj.bias")
        .name(Role.KEY_BIAS, l + "self_attn.k_proj.bias")
        .name(Role.VALUE_BIAS, l + "self_attn.v_proj.bias")
        .name(Role.QUERY_NORM, l + "self_attn.q_norm.weight")
        .name(Role.KEY_NORM, l + "self_attn.k_norm.weight")
        .name(Role.ROUTER, l + moe + ".gate.weight")
        .name(Role.SHARED_GATE, l + moe + ".shared_expert.gate_proj.weight")
        .name(Role.SHARED_UP, l + moe + ".shared_expert.up_proj.weight")
        .name(Role.SHARED_DOWN, l + moe + ".shared_expert.down_proj.weight")
        .name(Role.SHARED_EXPERT_GATE, l + moe + ".shared_expert_gate.weight")
        .name(Role.MLP_GATE, l + "mlp.gate_proj.weight")
        .name(Role.MLP_UP, l + "mlp.up_proj.weight")
        .name(Role.MLP_DOWN, l + "mlp.down_proj.weight")
        .name(Role.EXPERT_GATE, l + moe + ".experts.%d.gate_proj.weight")
        .name(Role.EXPERT_UP, l + moe + ".experts.%d.up_proj.weight")
        .name(Role.EXPERT_DOWN, l + moe + ".experts.%d.down_proj.weight");
  }

  /** The name of a global tensor. */
  public String global(Role role) {
    return pattern(role);
  }

  /** The name of a tensor of {@code layer}. */
  public String layer(Role role, int layer) {
    return String.format(pattern(role), layer);
  }

  /** The name of a tensor of {@code expert} in {@code layer}. */
  public String expert(Role role, int layer, int expert) {
    return String.format(pattern(role), layer, expert);
  }

  private String pattern(Role role) {
    String p = patterns.get(role);
    if (p == null) {
      throw new IllegalArgumentException("no checkpoint name for " + role);
    }
    return p;
  }

  /** Mutable builder. */
  public static final class Builder {
    private final Map<Role, String> patterns = new EnumMap<>(Role.class);
    private ExpertLayout expertLayout = ExpertLayout.SEPARATE;

    /** How the experts are stored ({@link ExpertLayout#SEPARATE} unless set). */
    public Builder expertLayout(ExpertLayout layout) {
      expertLayout = layout;
      return this;
    }

    public Builder name(Role role, String pattern) {
      patterns.put(role, pattern);
      return this;
    }

    public TensorNames build() {
      return new TensorNames(patterns, expertLayout);
    }
  }
}
