package dev.ringmoe.model;

import dev.ringmoe.config.ModelConfig;

/** The one {@link LayerInput} implementation: a view of a pass's state for one layer. */
final class LayerInputs implements LayerInput {
  private final ModelConfig config;
  private final int layer;
  private final int[] tokenIds;
  private final int position;
  private final float[] hidden;
  private final LayerWeights weights;

  LayerInputs(
      ModelConfig config,
      int layer,
      int[] tokenIds,
      int position,
      float[] hidden,
      LayerWeights weights) {
    this.config = config;
    this.layer = layer;
    this.tokenIds = tokenIds;
    this.position = position;
    this.hidden = hidden;
    this.weights = weights;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public int layer() {
    return layer;
  }

  @Override
  public int[] tokenIds() {
    return tokenIds;
  }

  @Override
  public int position() {
    return position;
  }

  @Override
  public int tokens() {
    return tokenIds.length;
  }

  @Override
  public float[] hidden() {
    return hidden;
  }

  @Override
  public LayerWeights weights() {
    return weights;
  }
}
