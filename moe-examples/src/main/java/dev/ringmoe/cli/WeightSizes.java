package dev.ringmoe.cli;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The bytes a checkpoint's weights take in the dtype RingMoE holds them in (bfloat16 for a BF16
 * checkpoint, else float32): what budget percentages are percentages of.
 */
final class WeightSizes {
  private WeightSizes() {}

  /** The weight type of the checkpoint in {@code dir}. */
  static DataType weightType(Path dir, ModelConfig config) throws IOException {
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return Tensors.weightType(checkpoint, config.manifest());
    }
  }

  /** "bfloat16" or "float32". */
  static String name(DataType type) {
    return type == DataType.BFLOAT16 ? "bfloat16" : "float32";
  }
}
