package dev.ringmoe.ring;

import dev.ringmoe.Prefetch;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.StoreOptions;

/** The KV cache bytes a streaming store takes from its budget with the default options. */
final class KvReservation {
  private KvReservation() {}

  static long of(ModelConfig config) {
    return new StoreOptions(1, 0, 0, Prefetch.NONE, null).kvBytes(config);
  }
}
