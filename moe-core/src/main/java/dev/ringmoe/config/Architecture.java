package dev.ringmoe.config;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A model family RingMoE can run: the {@code architectures} name in {@code config.json}, its tensor names, and the
 * parts in which families differ. The decoder is written once against these descriptors, so that Qwen2-MoE (shared
 * experts, no renormalisation), Qwen3-MoE (q/k norms), OLMoE or DeepSeek-MoE are added as one more constant here
 * plus the small parts they need, never as a copy of the model.
 *
 * <p>Immutable and thread-safe.
 */
public final class Architecture {
  /** Mixtral ({@code MixtralForCausalLM}): every layer sparse, softmax-top-k-renormalised gates, SwiGLU experts. */
  public static final Architecture MIXTRAL =
      new Architecture("MixtralForCausalLM", "mixtral", WeightNames.MIXTRAL, GateKind.SOFTMAX_TOPK_RENORMALISED);

  private static final List<Architecture> SUPPORTED = List.of(MIXTRAL);

  private final String name;
  private final String modelType;
  private final WeightNames weightNames;
  private final GateKind defaultGate;

  private Architecture(String name, String modelType, WeightNames weightNames, GateKind defaultGate) {
    this.name = name;
    this.modelType = modelType;
    this.weightNames = weightNames;
    this.defaultGate = defaultGate;
  }

  /** The name in {@code config.json}'s {@code architectures} list, for example {@code MixtralForCausalLM}. */
  public String name() {
    return name;
  }

  /** The {@code model_type} Hugging Face writes for this architecture. */
  public String modelType() {
    return modelType;
  }

  public WeightNames weightNames() {
    return weightNames;
  }

  /** The gate this family uses unless its configuration says otherwise ({@code norm_topk_prob}). */
  public GateKind defaultGate() {
    return defaultGate;
  }

  /** Every architecture this version runs. */
  public static List<Architecture> supported() {
    return SUPPORTED;
  }

  /**
   * Looks an architecture up by its {@code architectures} name.
   *
   * @throws UnsupportedArchitectureException naming {@code file}, the architecture and the supported ones
   */
  static Architecture forName(String name, Path file) throws UnsupportedArchitectureException {
    for (Architecture a : SUPPORTED) {
      if (a.name.equals(name)) {
        return a;
      }
    }
    throw new UnsupportedArchitectureException(
        file, name, SUPPORTED.stream().map(Architecture::name).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return name;
  }
}
