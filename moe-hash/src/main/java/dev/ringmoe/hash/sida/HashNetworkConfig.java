package dev.ringmoe.hash.sida;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of a SiDA hash network: model width {@code dModel}, the network's own width {@code hidden}
 * (256 in the paper), the number of MoE layers {@code layers} it predicts, experts per layer {@code
 * experts} and the router's {@code topK}. {@code attention} selects the key-mixing function
 * (sparsemax as in the paper, or softmax as an ablation). Immutable; {@link #toText()} / {@link
 * #fromText(String)} give a {@code key=value} form.
 */
public record HashNetworkConfig(
    int dModel, int hidden, int layers, int experts, int topK, Attention attention) {

  /** The attention normaliser over (causal) keys. */
  public enum Attention {
    SPARSEMAX,
    SOFTMAX
  }

  /** Number of LSTM layers (fixed by the paper's design). */
  public static final int LSTM_LAYERS = 2;

  public HashNetworkConfig {
    if (dModel <= 0 || hidden <= 0 || layers <= 0 || experts <= 1 || topK <= 0 || topK > experts) {
      throw new IllegalArgumentException(
          "bad hash network shape: d_model="
              + dModel
              + " hidden="
              + hidden
              + " layers="
              + layers
              + " experts="
              + experts
              + " topK="
              + topK);
    }
    if (attention == null) {
      throw new IllegalArgumentException("attention is null");
    }
  }

  /** The paper's network (hidden 256, sparsemax) for a model of the given shape. */
  public static HashNetworkConfig forModel(int dModel, int layers, int experts, int topK) {
    return new HashNetworkConfig(dModel, 256, layers, experts, topK, Attention.SPARSEMAX);
  }

  public static HashNetworkConfig forModel(dev.ringmoe.config.ModelConfig config) {
    return forModel(
        config.hiddenSize(), config.tracedLayers().length, config.experts(), config.topK());
  }

  public HashNetworkConfig withAttention(Attention a) {
    return new HashNetworkConfig(dModel, hidden, layers, experts, topK, a);
  }

  /**
   * Exact parameter count: input projection {@code d*H+H}, two LSTM layers of {@code 4H(H+H)+4H}
   * (one bias vector per gate), residual projection {@code H*H+H}, and {@code layers} heads of
   * {@code H*E+E}.
   */
  public long parameterCount() {
    long h = hidden;
    long in = (long) dModel * h + h;
    long lstm = LSTM_LAYERS * (4 * h * (h + h) + 4 * h);
    long res = h * h + h;
    long heads = (long) layers * (h * experts + experts);
    return in + lstm + res + heads;
  }

  public String toText() {
    return "d_model="
        + dModel
        + "\nhidden="
        + hidden
        + "\nlayers="
        + layers
        + "\nexperts="
        + experts
        + "\ntop_k="
        + topK
        + "\nattention="
        + attention.name().toLowerCase()
        + "\n";
  }

  public static HashNetworkConfig fromText(String text) {
    Map<String, String> kv = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("not key=value: " + line);
      }
      kv.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
    }
    try {
      return new HashNetworkConfig(
          Integer.parseInt(kv.get("d_model")),
          Integer.parseInt(kv.get("hidden")),
          Integer.parseInt(kv.get("layers")),
          Integer.parseInt(kv.get("experts")),
          Integer.parseInt(kv.get("top_k")),
          Attention.valueOf(kv.getOrDefault("attention", "sparsemax").toUpperCase()));
    } catch (NullPointerException | NumberFormatException e) {
      throw new IllegalArgumentException("incomplete hash network config: " + kv, e);
    }
  }
}
