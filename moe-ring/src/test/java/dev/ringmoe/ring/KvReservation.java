package dev.ringmoe.ring;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.KvCache;
import dev.ringmoe.model.StoreOptions;

/** The KV cache bytes a streaming store takes from its budget with the default options. */
final class KvReservation {
  private KvReservation() {}

  static long of(ModelConfig config) {
    return KvCache.bytes(
        config, Math.min(StoreOptions.DEFAULT_KV_POSITIONS, config.maxPositions()));
  }
}
