package dev.ringmoe.model;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A {@link WeightStore} that holds the whole model in memory for its lifetime: the all-resident
 * baseline that every streaming store must reproduce exactly. Float32 and BF16 checkpoints are used
 * in place through memory mappings (no copy), and products read BF16 weights as they are; F16 and
 * mixed checkpoints are converted to float32 once, at load ({@link Tensors#weightType}).
 *
 * <p>Acquire and release are no-ops, so the store may be read by several threads. It does not own
 * the {@link Checkpoint}: the caller keeps it open while the store is used and closes it after the
 * store.
 */
public final class ResidentWeightStore implements WeightStore {
  private final GlobalWeights globals;
  private final LayerWeights[] layers;
  private final ExpertWeights[][] experts;
  private final long bytes;
  private boolean closed;

  private ResidentWeightStore(
      GlobalWeights globals, LayerWeights[] layers, ExpertWeights[][] experts, long bytes) {
    this.globals = globals;
    this.layers = layers;
    this.experts = experts;
    this.bytes = bytes;
  }

  /**
   * Loads every weight the configuration requires.
   *
   * @throws dev.ringmoe.checkpoint.CheckpointFormatException naming the file and tensor if one is
   *     missing or has the wrong shape or dtype
   */
  public static ResidentWeightStore load(Checkpoint checkpoint, ModelConfig config)
      throws IOException {
    List<AutoCloseable> loaded = new ArrayList<>();
    try {
      DataType type = Tensors.weightType(checkpoint, config.manifest());
      GlobalWeights globals = GlobalWeights.load(checkpoint, config, type, false);
      loaded.add(globals);
      long bytes = globals.bytes();
      LayerWeights[] layers = new LayerWeights[config.layers()];
      ExpertWeights[][] experts = new ExpertWeights[config.layers()][config.experts()];
      for (int l = 0; l < config.layers(); l++) {
        layers[l] = loadLayer(checkpoint, config, l, type, false);
        loaded.add(layers[l]::close);
        bytes += layers[l].bytes();
        for (int e = 0; e < config.manifest().experts(l); e++) {
          experts[l][e] = loadExpert(checkpoint, config, l, e, type);
          loaded.add(experts[l][e]::close);
          bytes += experts[l][e].bytes();
        }
      }
      return new ResidentWeightStore(globals, layers, experts, bytes);
    } catch (IOException | RuntimeException e) {
      for (AutoCloseable c : loaded) {
        try {
          c.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** Loads the dense weights of one layer; the caller owns the result. */
  public static LayerWeights loadLayer(Checkpoint checkpoint, ModelConfig config, int layer)
      throws IOException {
    return loadLayer(
        checkpoint, config, layer, Tensors.weightType(checkpoint, config.manifest()), false);
  }

  /**
   * Loads the dense weights of one layer; the caller owns the result.
   *
   * @param type the model's weight type ({@link Tensors#weightType})
   * @param copy whether tensors stored in that type are copied into native memory rather than read
   *     through the file mapping
   */
  public static LayerWeights loadLayer(
      Checkpoint checkpoint, ModelConfig config, int layer, DataType type, boolean copy)
      throws IOException {
    Section section = WeightManifest.of(config).dense(layer);
    SectionWeights w = SectionWeights.load(checkpoint, section, type, copy);
    return new LayerWeights(section, w.matrices, w.vectors);
  }

  /**
   * Loads the dense weights of one layer into native memory through {@code reader} (a streaming
   * store's storage tier); the caller owns the result.
   */
  public static LayerWeights loadLayer(
      Checkpoint checkpoint, TensorReader reader, ModelConfig config, int layer, DataType type)
      throws IOException {
    Section section = WeightManifest.of(config).dense(layer);
    SectionWeights w = SectionWeights.load(checkpoint, reader, section, type);
    return new LayerWeights(section, w.matrices, w.vectors);
  }

  /** Loads one expert in the model's weight type; the caller owns the result. */
  public static ExpertWeights loadExpert(
      Checkpoint checkpoint, ModelConfig config, int layer, int expert, DataType type)
      throws IOException {
    SectionWeights w =
        SectionWeights.load(
            checkpoint, WeightManifest.of(config).expert(layer, expert), type, false);
    // no EXPERT_GATE: a ReLU expert (T5-style)
    return new ExpertWeights(
        w.matrices.get(Role.EXPERT_GATE),
        w.matrices.get(Role.EXPERT_UP),
        w.matrices.get(Role.EXPERT_DOWN),
        w.vectors.get(Role.EXPERT_GATE_BIAS),
        w.vectors.get(Role.EXPERT_UP_BIAS),
        w.vectors.get(Role.EXPERT_DOWN_BIAS));
  }

  /** Bytes of weights held, in their dtypes (the roofline's numerator for one resident pass). */
  public long bytes() {
    return bytes;
  }

  @Override
  public GlobalWeights globals() {
    return globals;
  }

  @Override
  public LayerWeights acquireLayer(int layer) {
    return layers[layer];
  }

  @Override
  public void releaseLayer(int layer) {}

  @Override
  public ExpertWeights acquireExpert(int layer, int expert) {
    return experts[layer][expert];
  }

  @Override
  public void releaseExpert(int layer, int expert) {}

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int l = 0; l < layers.length; l++) {
      layers[l].close();
      for (ExpertWeights e : experts[l]) {
        if (e != null) {
          e.close();
        }
      }
    }
    globals.close();
  }
}
