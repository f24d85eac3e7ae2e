package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies sections from the storage tier into device memory in its weight type, counting what it
 * moved. The checkpoint is read through a {@link TensorReader} (the file mapping, or direct I/O
 * into a host staging area); tensors stored in the memory's own dtype (BF16 into bfloat16 slots,
 * F32 into float32 ones) are read straight into the slot in one batch per section, so nearby ranges
 * become one request and a copy is a plain copy; others (F16, a BF16 tensor into float32 memory)
 * are read as they are and converted. A section's layout in a slot is the manifest's ({@link
 * Section#offset}): native tensors consecutively in entry order, vectors (norms, biases) into the
 * holder's heap arrays.
 *
 * <p>Stateless apart from the counters; safe for several copy threads writing disjoint regions.
 */
final class SectionCopier {
  private final Checkpoint checkpoint;
  private final TensorReader reader;
  private final WeightManifest manifest;
  private final RingCounters counters;

  SectionCopier(
      Checkpoint checkpoint, TensorReader reader, ModelConfig config, RingCounters counters) {
    this.checkpoint = checkpoint;
    this.reader = reader;
    this.manifest = WeightManifest.of(config);
    this.counters = counters;
  }

  /**
   * Copies {@code layer}'s dense section: matrices into {@code memory} at its layout, vectors into
   * {@code dense}.
   */
  void copyDense(int layer, INDArray memory, LayerWeights dense) {
    copy(manifest.dense(layer), memory, 0, dense::vector);
  }

  /**
   * Copies one expert into {@code memory} from {@code offset} elements on, its biases (if any) into
   * {@code holder}'s arrays.
   */
  void copyExpert(int layer, int expert, INDArray memory, long offset, ExpertWeights holder) {
    copy(manifest.expert(layer, expert), memory, offset, r -> ExpertSlot.vector(holder, r));
  }

  private void copy(Section section, INDArray memory, long base, Function<Role, float[]> vectors) {
    long start = System.nanoTime();
    long read = 0;
    try {
      List<TensorInfo> direct = new ArrayList<>();
      List<ByteBuffer> targets = new ArrayList<>();
      // parts of stacked tensors: each stored tensor read once over the range the expert spans
      Tensors.SliceReads slices = Tensors.sliceReads(reader, checkpoint, section.tensors());
      for (TensorEntry t : section.tensors()) {
        if (t.slice() != null) {
          if (t.onHeap()) {
            slices.read(t, vectors.apply(t.role()));
          } else {
            slices.read(t, memory, base + section.offset(t.role()));
          }
          continue;
        }
        TensorInfo info = Tensors.tensor(checkpoint, t.name(), t.shape());
        Tensors.checkDtype(t, info);
        read += info.byteSize();
        if (info.dtype() == DType.F8_E4M3) {
          // block-wise FP8, dequantized into the slot's float32 memory
          FloatBuffer dst = memory.data().asNioFloat();
          dst.position(Math.toIntExact(memory.offset() + base + section.offset(t.role())));
          Tensors.readDequantized(checkpoint, reader, t, info, dst);
        } else if (t.onHeap()) {
          Tensors.readConverted(reader, info, FloatBuffer.wrap(vectors.apply(t.role())));
        } else if (Tensors.storedAs(info, memory)) {
          direct.add(info);
          targets.add(Tensors.bytesAt(memory, base + section.offset(t.role()), info.byteSize()));
        } else {
          FloatBuffer dst = memory.data().asNioFloat();
          dst.position(Math.toIntExact(memory.offset() + base + section.offset(t.role())));
          Tensors.readConverted(reader, info, dst);
        }
      }
      if (!direct.isEmpty()) {
        reader.readRaw(direct, targets);
      }
      read += slices.bytesRead();
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
