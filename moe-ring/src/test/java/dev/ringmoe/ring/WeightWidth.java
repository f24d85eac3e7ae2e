package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Bytes per parameter a checkpoint's weights are held in: 2 for BF16 checkpoints, else 4. */
final class WeightWidth {
  private WeightWidth() {}

  static int of(Path dir, ModelConfig config) {
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return Tensors.weightType(checkpoint, config.manifest()).width();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
