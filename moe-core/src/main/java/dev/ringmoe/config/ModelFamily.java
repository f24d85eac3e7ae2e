package dev.ringmoe.config;

import com.google.gson.JsonObject;
import dev.ringmoe.manifest.WeightManifest;
import java.util.List;

/**
 * A model family RingMoE runs, found by {@link java.util.ServiceLoader} (register implementations
 * in {@code META-INF/services/dev.ringmoe.config.ModelFamily}): the {@code architectures} names it
 * answers to, how it reads its own {@code config.json} fields, and its tensors ({@link
 * WeightManifest}). The decoder's math is shared; what a family adds is data, plus a component only
 * where its math is new. See {@code docs/architecture.md}, "Adding a family".
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface ModelFamily {
  /**
   * The names in {@code config.json}'s {@code architectures} list, for example {@code
   * MixtralForCausalLM}.
   */
  List<String> architectures();

  /** The {@code model_type} Hugging Face writes. */
  String modelType();

  /**
   * Whether {@link ModelConfig} reads the Llama-style fields every decoder family shares ({@code
   * hidden_size}, {@code num_attention_heads}, ...) before {@link #readConfig}, and writes them
   * before {@link #writeConfig}. A family that names its sizes differently (T5-style {@code
   * d_model}, {@code num_heads}) returns false and reads and writes every field itself.
   */
  default boolean readsSharedFields() {
    return true;
  }

  /** The gate used unless the config's {@code norm_topk_prob} says otherwise. */
  GateKind defaultGate();

  /**
   * Sets what is fixed for every model of the family (its attention options, a shared expert's
   * gate) on a builder made in code, so that a synthetic checkpoint has the family's tensors.
   * Called by {@link ModelConfig#builder(Architecture)}.
   */
  default void configure(ModelConfig.Builder b) {}

  /**
   * Reads the family's own fields (expert counts and sizes, dense layers, shared experts, attention
   * options) into {@code b}; the fields every family shares are already read.
   *
   * @throws ModelConfigException naming the file, the field and the value
   */
  void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException;

  /**
   * Writes the family's own fields of {@code c} as Hugging Face names them, for synthetic
   * checkpoints.
   */
  void writeConfig(ModelConfig c, JsonObject o);

  /**
   * Whether checkpoints of the family may store their linear weights as block-wise FP8 ({@link
   * BlockFp8}, {@code quantization_config} {@code quant_method "fp8"}); a family that does not
   * refuses such a config.
   */
  default boolean acceptsBlockFp8() {
    return false;
  }

  /**
   * Whether the family reads {@code quantization_config} itself in {@link #readConfig} (gpt-oss's
   * MXFP4), refusing what it does not support; otherwise the shared reader handles it (block-wise
   * FP8 where {@link #acceptsBlockFp8()}, a refusal elsewhere).
   */
  default boolean readsQuantizationConfig() {
    return false;
  }

  /** Every tensor of a model of this family. */
  WeightManifest manifest(ModelConfig config);
}
