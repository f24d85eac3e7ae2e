package dev.ringmoe.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * One {@code architectures} name RingMoE runs, with the {@link ModelFamily} that implements it. The
 * families are found by {@link ServiceLoader} once, when this class is first used.
 *
 * <p>Immutable and thread-safe.
 */
public final class Architecture {
  private static final List<Architecture> SUPPORTED = load();

  /** Mixtral ({@code MixtralForCausalLM}). */
  public static final Architecture MIXTRAL = named("MixtralForCausalLM");

  /** Qwen2-MoE ({@code Qwen2MoeForCausalLM}). */
  public static final Architecture QWEN2_MOE = named("Qwen2MoeForCausalLM");

  /** Qwen3-MoE ({@code Qwen3MoeForCausalLM}). */
  public static final Architecture QWEN3_MOE = named("Qwen3MoeForCausalLM");

  /** OLMoE ({@code OlmoeForCausalLM}). */
  public static final Architecture OLMOE = named("OlmoeForCausalLM");

  /** DeepSeek-V2 ({@code DeepseekV2ForCausalLM}). */
  public static final Architecture DEEPSEEK_V2 = named("DeepseekV2ForCausalLM");

  /** DeepSeek-V3 ({@code DeepseekV3ForCausalLM}). */
  public static final Architecture DEEPSEEK_V3 = named("DeepseekV3ForCausalLM");

  /** gpt-oss ({@code GptOssForCausalLM}). */
  public static final Architecture GPT_OSS = named("GptOssForCausalLM");

  private final String name;
  private final ModelFamily family;

  private Architecture(String name, ModelFamily family) {
    this.name = name;
    this.family = family;
  }

  private static List<Architecture> load() {
    List<Architecture> all = new ArrayList<>();
    for (ModelFamily f :
        ServiceLoader.load(ModelFamily.class, Architecture.class.getClassLoader())) {
      for (String n : f.architectures()) {
        all.add(new Architecture(n, f));
      }
    }
    return List.copyOf(all);
  }

  /**
   * The name in {@code config.json}'s {@code architectures} list, for example {@code
   * MixtralForCausalLM}.
   */
  public String name() {
    return name;
  }

  /** The {@code model_type} Hugging Face writes for this architecture. */
  public String modelType() {
    return family.modelType();
  }

  public ModelFamily family() {
    return family;
  }

  /** The gate this family uses unless its configuration says otherwise ({@code norm_topk_prob}). */
  public GateKind defaultGate() {
    return family.defaultGate();
  }

  /** Every architecture this version runs. */
  public static List<Architecture> supported() {
    return SUPPORTED;
  }

  /**
   * The architecture registered under {@code name}.
   *
   * @throws IllegalArgumentException if no family answers to it
   */
  public static Architecture named(String name) {
    for (Architecture a : SUPPORTED) {
      if (a.name.equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "architecture '" + name + "' is not supported (supported: " + names() + ")");
  }

  /**
   * Looks an architecture up by its {@code architectures} name.
   *
   * @throws UnsupportedArchitectureException naming {@code file}, the architecture and the
   *     supported ones
   */
  static Architecture forName(String name, Path file) throws UnsupportedArchitectureException {
    for (Architecture a : SUPPORTED) {
      if (a.name.equals(name)) {
        return a;
      }
    }
    throw new UnsupportedArchitectureException(file, name, names());
  }

  private static String names() {
    return SUPPORTED.stream().map(Architecture::name).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return name;
  }
}
