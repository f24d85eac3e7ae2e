package dev.ringmoe.manifest;

import dev.ringmoe.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Every tensor a model needs, by section: the global weights, each layer's dense section, and each
 * routed expert of each layer. The model family writes it (from its config), and nothing else names
 * a checkpoint tensor.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface WeightManifest {
  int layers();

  /** Routed experts of {@code layer}; 0 for a dense layer. */
  int experts(int layer);

  Section globals();

  Section dense(int layer);

  /**
   * @throws IllegalArgumentException if {@code layer} has no such expert
   */
  Section expert(int layer, int expert);

  /**
   * Every section: the globals, then per layer its dense section and its experts. Lists every
   * expert: for writing or checking a whole checkpoint, not for sizing (see {@link #parameters()}).
   */
  default List<Section> sections() {
    List<Section> all = new ArrayList<>();
    all.add(globals());
    for (int l = 0; l < layers(); l++) {
      all.add(dense(l));
      for (int e = 0; e < experts(l); e++) {
        all.add(expert(l, e));
      }
    }
    return all;
  }

  /**
   * Parameters of every section, counted without listing every expert (the experts of a layer have
   * the same shapes).
   */
  default long parameters() {
    long n = globals().parameters();
    for (int l = 0; l < layers(); l++) {
      n += dense(l).parameters();
      if (experts(l) > 0) {
        n += experts(l) * expert(l, 0).parameters();
      }
    }
    return n;
  }

  /** The manifest of the model {@code config} describes ({@link ModelConfig#manifest()}). */
  static WeightManifest of(ModelConfig config) {
    return config.manifest();
  }
}
