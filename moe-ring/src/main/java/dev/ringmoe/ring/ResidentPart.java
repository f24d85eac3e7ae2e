package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.GlobalWeights;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.model.ResidentWeightStore;
import dev.ringmoe.model.StoreOptions;
import java.io.IOException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Loads the weights a streaming store keeps resident for its lifetime: each is reserved against the
 * device budget before it is loaded (so an over-budget plan fails before allocating) and registered
 * with the store's {@link Owned} resources, which close it.
 */
final class ResidentPart {
  private ResidentPart() {}

  /**
   * The storage tier's reader the store's options ask for, registered with {@code owned} first so
   * that it closes after everything that reads through it. Its staging area (0 for the mapping) is
   * part of the device budget.
   */
  static TensorReader reader(Checkpoint checkpoint, StoreOptions options, Owned owned)
      throws IOException {
    TensorReader reader = TensorReader.open(checkpoint, options.storage(), options.stagingBytes());
    owned.add(reader);
    return reader;
  }

  /** The embedding, final norm and LM head. */
  static GlobalWeights globals(
      Checkpoint checkpoint,
      TensorReader reader,
      ModelConfig config,
      DataType type,
      DeviceMemory memory,
      Owned owned)
      throws IOException {
    memory.reserve(type.width() * config.globalParameters(), "embedding, final norm and LM head");
    GlobalWeights globals = GlobalWeights.load(checkpoint, reader, config, type);
    owned.add(globals);
    return globals;
  }

  /** One layer's dense weights (norms, attention, router). */
  static LayerWeights layer(
      Checkpoint checkpoint,
      TensorReader reader,
      ModelConfig config,
      int layer,
      DataType type,
      DeviceMemory memory,
      Owned owned)
      throws IOException {
    memory.reserve(
        type.width() * config.manifest().dense(layer).parameters(),
        "layer " + layer + " dense weights");
    LayerWeights weights = ResidentWeightStore.loadLayer(checkpoint, reader, config, layer, type);
    owned.add(weights::close);
    return weights;
  }
}
