package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies sections from the checkpoint (storage tier) into device memory in its weight type,
 * counting what it moved: for a BF16 checkpoint held in bfloat16 a plain copy of the bytes, else a
 * conversion to float32. A section's tensors and their layout in a slot are the manifest's ({@link
 * Section#offset}): native tensors consecutively in entry order, vectors (norms, biases) into the
 * holder's heap arrays.
 *
 * <p>Stateless apart from the counters; safe for several copy threads writing disjoint regions.
 */
final class SectionCopier {
  private final Checkpoint checkpoint;
  private final WeightManifest manifest;
  private final RingCounters counters;

  SectionCopier(Checkpoint checkpoint, ModelConfig config, RingCounters counters) {
    this.checkpoint = checkpoint;
    this.manifest = WeightManifest.of(config);
    this.counters = counters;
  }

  /**
   * Copies {@code layer}'s dense section: matrices into {@code memory} at its layout, vectors into
   * {@code dense}.
   */
  void copyDense(int layer, INDArray memory, LayerWeights dense) {
    copy(manifest.dense(layer), memory, 0, dense);
  }

  /** Copies one expert into {@code memory} from {@code offset} elements on. */
  void copyExpert(int layer, int expert, INDArray memory, long offset) {
    copy(manifest.expert(layer, expert), memory, offset, null);
  }

  private void copy(Section section, INDArray memory, long base, LayerWeights vectors) {
    long start = System.nanoTime();
    long read = 0;
    try {
      for (TensorEntry t : section.tensors()) {
        read +=
            t.onHeap()
                ? Tensors.readInto(
                    checkpoint, t.name(), FloatBuffer.wrap(vectors.vector(t.role())), t.shape())
                : Tensors.readWeightInto(
                    checkpoint, t.name(), memory, base + section.offset(t.role()), t.shape());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    count(read, memory.dataType().width() * section.parameters(), start);
  }

  private void count(long read, long written, long start) {
    counters.storageBytes.addAndGet(read);
    counters.hostBytes.addAndGet(read);
    counters.deviceBytes.addAndGet(written);
    counters.copies.incrementAndGet();
    counters.copyNanos.addAndGet(System.nanoTime() - start);
  }
}
