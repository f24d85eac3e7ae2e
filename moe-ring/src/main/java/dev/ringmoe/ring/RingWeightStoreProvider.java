package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.model.WeightStore;
import dev.ringmoe.model.WeightStoreProvider;
import java.io.IOException;

/** Registers {@link RingWeightStore} with {@code MoeModel.builder().deviceMemory(...)} through the service loader. */
public final class RingWeightStoreProvider implements WeightStoreProvider {
  @Override
  public WeightStore open(Checkpoint checkpoint, ModelConfig config, StoreOptions options) throws IOException {
    return RingWeightStore.open(checkpoint, config, options);
  }
}
