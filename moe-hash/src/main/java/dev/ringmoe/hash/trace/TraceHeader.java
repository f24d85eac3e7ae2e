package dev.ringmoe.hash.trace;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ModelConfig;

/**
 * What a routing trace describes: the model's shape, a fingerprint naming the model, and whether
 * each record also holds the hidden state entering every MoE block.
 *
 * @param hidden hidden size of the model
 * @param layers MoE layers (every decoder layer)
 * @param experts experts per layer
 * @param topK experts the router chooses per token
 * @param fingerprint free text identifying the model the trace was recorded from (at most 65,535
 *     UTF-8 bytes)
 * @param hiddenStates whether records hold the residual after each layer's attention,
 *     [T][layers][hidden]
 */
public record TraceHeader(
    int hidden, int layers, int experts, int topK, String fingerprint, boolean hiddenStates) {
  public TraceHeader {
    Preconditions.checkArgument(hidden > 0 && layers > 0 && experts > 0, "non-positive dimension");
    Preconditions.checkArgument(
        topK > 0 && topK <= experts, "top-k %s outside 1..%s", topK, experts);
    Preconditions.checkNotNull(fingerprint, "fingerprint");
  }

  /**
   * The header for traces of a model with {@code config}: its layers are the ones that route
   * ({@link ModelConfig#tracedLayers()}, in order); dense layers have no router and are not traced.
   */
  public static TraceHeader of(ModelConfig config, String fingerprint, boolean hiddenStates) {
    return new TraceHeader(
        config.hiddenSize(),
        config.tracedLayers().length,
        config.experts(),
        config.topK(),
        fingerprint,
        hiddenStates);
  }

  /** Bytes of one record with {@code tokens} tokens (tag and token count included). */
  public long recordBytes(int tokens) {
    long floats =
        (long) tokens * hidden
            + (long) tokens * layers * experts
            + (hiddenStates ? (long) tokens * layers * hidden : 0L);
    return 8L + 4L * tokens + 4L * floats;
  }
}
