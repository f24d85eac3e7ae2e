package dev.ringmoe.model;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.MappedTensorReader;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A section's tensors read from a checkpoint by its manifest entries: vectors into Java arrays,
 * matrices into ND4J arrays of the model's weight type ({@link Tensors#weightType}: over the file
 * mapping when the checkpoint stores that type, unless {@code copy}; block-wise FP8 matrices
 * dequantized into float32). A dtype the entry does not allow is refused ({@link
 * Tensors#checkDtype}). Optional tensors the checkpoint lacks are left out. The caller owns the
 * matrices; on failure nothing stays allocated.
 */
final class SectionWeights {
  final Map<Role, INDArray> matrices = new EnumMap<>(Role.class);
  final Map<Role, float[]> vectors = new EnumMap<>(Role.class);

  private SectionWeights() {}

  /**
   * @throws dev.ringmoe.checkpoint.CheckpointFormatException naming the file and tensor if a
   *     required one is missing or has the wrong shape or dtype
   */
  static SectionWeights load(Checkpoint checkpoint, Section section, DataType type, boolean copy)
      throws IOException {
    if (!copy) {
      return load(checkpoint, null, section, type);
    }
    try (TensorReader mapped = new MappedTensorReader(checkpoint)) {
      return load(checkpoint, mapped, section, type);
    }
  }

  /**
   * As {@link #load(Checkpoint, Section, DataType, boolean)}: every tensor copied into memory of
   * its own through {@code reader}, or with {@code null} matrices over the file mapping.
   */
  static SectionWeights load(
      Checkpoint checkpoint, TensorReader reader, Section section, DataType type)
      throws IOException {
    SectionWeights w = new SectionWeights();
    Tensors.SliceReads slices = null;
    try {
      for (TensorEntry t : section.tensors()) {
        if (t.optional() && checkpoint.find(t.name()).isEmpty()) {
          continue;
        }
        long[] shape = t.shape();
        if (t.slice() != null) {
          // part of a stacked tensor: only the range the section spans is read
          if (slices == null) {
            slices =
                Tensors.sliceReads(
                    reader != null ? reader : new MappedTensorReader(checkpoint),
                    checkpoint,
                    section.tensors());
          }
          if (t.onHeap()) {
            float[] v = new float[Math.toIntExact(t.elements())];
            slices.read(t, v);
            w.vectors.put(t.role(), v);
          } else {
            w.matrices.put(t.role(), slices.load(t, type));
          }
          continue;
        }
        TensorInfo info = Tensors.tensor(checkpoint, t.name(), shape);
        Tensors.checkDtype(t, info);
        if (info.dtype() == DType.F8_E4M3) {
          // block-wise FP8: dequantized to float32 at load (the weight type is then FLOAT)
          w.matrices.put(t.role(), Tensors.loadDequantized(checkpoint, reader, t, info));
        } else if (t.onHeap()) {
          w.vectors.put(
              t.role(),
              reader != null
                  ? Tensors.loadJava(reader, checkpoint, t.name(), shape)
                  : Tensors.loadJava(checkpoint, t.name(), shape));
        } else {
          w.matrices.put(
              t.role(),
              reader != null
                  ? Tensors.loadWeight(reader, checkpoint, t.name(), type, shape)
                  : Tensors.loadWeight(checkpoint, t.name(), type, shape));
        }
      }
      return w;
    } catch (IOException | RuntimeException e) {
      w.matrices.values().forEach(INDArray::close);
      throw e;
    }
  }
}
