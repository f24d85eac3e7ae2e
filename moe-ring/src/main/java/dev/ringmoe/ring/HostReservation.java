package dev.ringmoe.ring;

import dev.ringmoe.ByteSizes;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.StoreOptions;
import java.util.Locale;

/**
 * What a streaming store's budget gives to other than weights, before the weights are planned: the
 * KV cache of one sequence ({@link StoreOptions#kvPositions(ModelConfig)} positions) and direct
 * I/O's host staging area (0 for the mapping). One budget then covers everything the process holds
 * for the model.
 */
final class HostReservation {
  private final int kvPositions;
  private final long kvBytes;
  private final long stagingBytes;

  HostReservation(ModelConfig config, StoreOptions options, long stagingBytes) {
    this.kvPositions = options.kvPositions(config);
    this.kvBytes = options.kvBytes(config);
    this.stagingBytes = stagingBytes;
  }

  /** Bytes taken from the budget before the weights are planned. */
  long bytes() {
    return kvBytes + stagingBytes;
  }

  int kvPositions() {
    return kvPositions;
  }

  /** Reserves both parts in {@code memory}. */
  void reserve(DeviceMemory memory) {
    memory.reserve(kvBytes, "the KV cache of " + kvPositions + " positions");
    memory.reserve(stagingBytes, "the direct I/O staging area");
  }

  /** The parts, for a message saying what the budget had to hold besides the weights. */
  String describe() {
    return String.format(
        Locale.ROOT,
        "the KV cache of %d positions (%s)%s",
        kvPositions,
        ByteSizes.format(kvBytes),
        stagingBytes > 0
            ? " and the direct I/O staging area (" + ByteSizes.format(stagingBytes) + ")"
            : "");
  }
}
