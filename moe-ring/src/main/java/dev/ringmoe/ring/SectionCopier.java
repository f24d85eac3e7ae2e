package dev.ringmoe.ring;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.WeightNames;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies sections from the checkpoint (storage tier) into device memory as float32, counting what it moved. The one
 * place that knows a section's tensors and their layout in a slot: dense = query, key, value, output, router
 * (norms go to heap arrays); expert = gate, up, down, consecutively.
 *
 * <p>Stateless apart from the counters; safe for several copy threads writing disjoint regions.
 */
final class SectionCopier {
  private final Checkpoint checkpoint;
  private final ModelConfig config;
  private final RingCounters counters;

  SectionCopier(Checkpoint checkpoint, ModelConfig config, RingCounters counters) {
    this.checkpoint = checkpoint;
    this.config = config;
    this.counters = counters;
  }

  /** Floats one expert occupies. */
  long expertFloats() {
    return 3L * config.intermediateSize() * config.hiddenSize();
  }

  void copyDense(int layer, INDArray memory, long[] offsets, float[] inputNorm, float[] postAttentionNorm) {
    long start = System.nanoTime();
    WeightNames n = config.architecture().weightNames();
    long h = config.hiddenSize();
    long q = (long) config.heads() * config.headDim();
    long kv = (long) config.kvHeads() * config.headDim();
    long read = 0;
    try {
      read += Tensors.readInto(checkpoint, n.query(layer), at(memory, offsets[0]), q, h);
      read += Tensors.readInto(checkpoint, n.key(layer), at(memory, offsets[1]), kv, h);
      read += Tensors.readInto(checkpoint, n.value(layer), at(memory, offsets[2]), kv, h);
      read += Tensors.readInto(checkpoint, n.output(layer), at(memory, offsets[3]), h, q);
      read += Tensors.readInto(checkpoint, n.router(layer), at(memory, offsets[4]), config.experts(), h);
      read += Tensors.readInto(checkpoint, n.inputNorm(layer), FloatBuffer.wrap(inputNorm), h);
      read += Tensors.readInto(checkpoint, n.postAttentionNorm(layer), FloatBuffer.wrap(postAttentionNorm), h);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    count(read, 4L * config.denseLayerParameters(), start);
  }

  void copyExpert(int layer, int expert, INDArray memory, long offset) {
    long start = System.nanoTime();
    WeightNames n = config.architecture().weightNames();
    long h = config.hiddenSize();
    long inter = config.intermediateSize();
    long read = 0;
    try {
      read += Tensors.readInto(checkpoint, n.expertGate(layer, expert), at(memory, offset), inter, h);
      read += Tensors.readInto(checkpoint, n.expertUp(layer, expert), at(memory, offset + inter * h), inter, h);
      read += Tensors.readInto(checkpoint, n.expertDown(layer, expert), at(memory, offset + 2 * inter * h), h,
          inter);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    count(read, 4L * config.expertParameters(), start);
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
