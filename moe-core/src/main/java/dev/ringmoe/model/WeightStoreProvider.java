package dev.ringmoe.model;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import java.io.IOException;

/**
 * Service-provider interface for streaming weight stores, found with {@link
 * java.util.ServiceLoader}: putting {@code moe-ring} on the classpath makes {@code
 * MoeModel.builder().deviceMemory(...)} stream weights through its ring. Implementations must have
 * a public no-argument constructor.
 */
public interface WeightStoreProvider {
  /**
   * Opens a store over {@code checkpoint} under {@code options}.
   *
   * @throws IllegalArgumentException if the budget cannot hold the resident weights plus one slot;
   *     the message names the minimum
   */
  WeightStore open(Checkpoint checkpoint, ModelConfig config, StoreOptions options)
      throws IOException;
}
