package dev.ringmoe.model;

import dev.ringmoe.config.ModelConfig;

/**
 * What an {@link ExpertPredictor} sees when asked which experts a layer will use: the tokens of the
 * current pass, the latest hidden state the caller has (for the ring: the previous layer's residual
 * after its attention, or the embeddings for layer 0), and that layer's dense weights when they are
 * available.
 *
 * <p>Valid only during the call it is passed to; arrays are shared, not copied, and must not be
 * modified.
 */
public interface LayerInput {
  ModelConfig config();

  /** The layer the prediction is for. */
  int layer();

  /**
   * {@link #layer()}'s position among the layers that route ({@link ModelConfig#routingIndex}),
   * which routing traces and trained predictors index by; -1 for a dense layer, which has nothing
   * to predict.
   */
  default int routingLayer() {
    return config().routingIndex(layer());
  }

  /** The token ids of the pass, in order. */
  int[] tokenIds();

  /** The position of the first token of the pass in its sequence. */
  int position();

  /** Tokens in the pass. */
  int tokens();

  /** The latest hidden state before {@link #layer()}, row-major [tokens * hidden]. */
  float[] hidden();

  /** The layer's dense weights (router, norms), or {@code null} when they are not resident yet. */
  LayerWeights weights();

  /**
   * An input over the given arrays (shared, not copied; the token count is {@code
   * tokenIds.length}).
   *
   * @param weights the layer's dense weights, or {@code null}
   */
  static LayerInput of(
      ModelConfig config,
      int layer,
      int[] tokenIds,
      int position,
      float[] hidden,
      LayerWeights weights) {
    return new LayerInputs(config, layer, tokenIds, position, hidden, weights);
  }
}
