package dev.ringmoe.manifest;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ModelConfig;

/**
 * What every family's manifest shares: one global section, one dense section per layer, the
 * config's experts in its sparse layers. Subclasses fill {@link #globals} and {@link #dense} in
 * their constructors and list an expert's tensors.
 */
abstract class LayeredManifest implements WeightManifest {
  final ModelConfig config;
  Section globals;
  Section[] dense;

  LayeredManifest(ModelConfig config) {
    this.config = config;
  }

  @Override
  public int layers() {
    return config.layers();
  }

  @Override
  public int experts(int layer) {
    return config.isMoeLayer(layer) ? config.experts() : 0;
  }

  @Override
  public Section globals() {
    return globals;
  }

  @Override
  public Section dense(int layer) {
    return dense[layer];
  }

  /** Refuses an expert {@code layer} does not have. */
  void checkExpert(int layer, int expert) {
    Preconditions.checkArgument(
        expert >= 0 && expert < experts(layer), "layer %s has no expert %s", layer, expert);
  }
}
