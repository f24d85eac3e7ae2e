package dev.ringmoe.hash.sida;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Training data for the hash network: a sequence with the teacher's router logits (read from a
 * routing trace), and the model's embedding table (the network's input).
 */
public final class SidaData {

  private SidaData() {}

  /**
   * One sequence: its token ids and the teacher's router logits [tokens][layers][experts],
   * flattened.
   */
  public record Sequence(int[] ids, float[] teacherLogits, int layers, int experts) {
    public int length() {
      return ids.length;
    }

    public float[] logits(int token, int layer) {
      int off = (token * layers + layer) * experts;
      return java.util.Arrays.copyOfRange(teacherLogits, off, off + experts);
    }
  }

  /**
   * The embedding table of the checkpoint in {@code dir}, float32 [vocab * hidden], read straight
   * from its file (no forward passes, no model).
   */
  public static float[] embeddingTable(Path dir, ModelConfig config) throws IOException {
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return Tensors.loadJava(
          checkpoint,
          WeightManifest.of(config).globals().get(Role.EMBEDDING).name(),
          config.vocabSize(),
          config.hiddenSize());
    }
  }
}
