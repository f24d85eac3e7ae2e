package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.model.WeightStore;
import dev.ringmoe.model.WeightStoreProvider;
import java.io.IOException;

/**
 * Registers the streaming stores with {@code MoeModel.builder().deviceMemory(...)} through the
 * service loader: the layer ring ({@link RingWeightStore}) by default, the {@link ExpertCacheStore}
 * when options ask for an expert cache, evicting as {@link StoreOptions#eviction()} says.
 */
public final class RingWeightStoreProvider implements WeightStoreProvider {
  @Override
  public WeightStore open(Checkpoint checkpoint, ModelConfig config, StoreOptions options)
      throws IOException {
    return options.expertCache()
        ? ExpertCacheStore.open(
            checkpoint, config, options, CachePolicy.of(options.eviction(), config))
        : RingWeightStore.open(checkpoint, config, options);
  }
}
