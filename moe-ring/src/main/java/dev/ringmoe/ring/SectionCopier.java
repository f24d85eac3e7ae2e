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
 * Copies sections from the checkpoint (storage tier) into device memory as float32, counting what
 * it moved. A section's tensors and their layout in a slot are the manifest's ({@link
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

  /** Copies one expert into {@code memory} from {@code offset} floats on. */
  void copyExpert(int layer, int expert, INDArray memory, long offset) {
    copy(manifest.expert(layer, expert), memory, offset, null);
  }

  private void copy(Section section, INDArray memory, long base, LayerWeights vectors) {
    long start = System.nanoTime();
    long read = 0;
    try {
      for (TensorEntry t : section.tensors()) {
        FloatBuffer dst =
            t.onHeap()
                ? FloatBuffer.wrap(vectors.vector(t.role()))
                : at(memory, base + section.offset(t.role()));
        read += Tensors.readInto(checkpoint, t.name(), dst, t.shape());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    count(read, 4L * section.parameters(), start);
  }

  private void count(long read, long written, long start) {
    counters.storageBytes.addAndGet(read);
    counters.hostBytes.addAndGet(read);
    counters.deviceBytes.addAndGet(written);
    counters.copies.incrementAndGet();
    counters.copyNanos.addAndGet(System.nanoTime() - start);
  }

  /** A buffer over {@code memory} positioned at {@code offset} floats. */
  static FloatBuffer at(INDArray memory, long offset) {
    FloatBuffer b = memory.data().asNioFloat();
    b.position(Math.toIntExact(memory.offset() + offset));
    return b;
  }
}
