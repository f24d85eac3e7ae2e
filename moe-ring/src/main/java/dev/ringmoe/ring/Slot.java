package dev.ringmoe.ring;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.LayerWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One fixed-size region of device memory holding one layer's streamed sections at a time, at fixed offsets: the
 * dense section first (when dense sections stream), then expert 0, 1, ... Views over those offsets are made once, so
 * reusing a slot for another layer allocates nothing.
 *
 * <p>Guarded by the owning {@link SectionRing}'s lock, except the memory, which the copy thread writes only for a
 * claimed {@link Load} of the current assignment and compute reads only after that load completed.
 */
final class Slot implements LoadTarget, AutoCloseable {
  final int index;
  final INDArray memory;
  final LayerWeights dense;
  final float[] inputNorm;
  final float[] postAttentionNorm;
  final ExpertWeights[] experts;
  final long[] denseOffsets;
  final long[] expertOffsets;

  private volatile int generation;
  int layer = -1;
  int users;
  Load denseLoad;
  Load[] expertLoads;

  Slot(int index, SectionPlan plan) {
    ModelConfig c = plan.config();
    this.index = index;
    long floats = plan.slotBytes() / 4;
    this.memory = Nd4j.create(DataType.FLOAT, floats);
    int h = c.hiddenSize();
    int q = c.heads() * c.headDim();
    int kv = c.kvHeads() * c.headDim();
    int inter = c.intermediateSize();
    long offset = 0;
    if (plan.denseResident()) {
      dense = null;
      inputNorm = null;
      postAttentionNorm = null;
      denseOffsets = null;
    } else {
      long[][] shapes = {{q, h}, {kv, h}, {kv, h}, {h, q}, {c.experts(), h}};
      denseOffsets = new long[shapes.length];
      INDArray[] views = new INDArray[shapes.length];
      for (int i = 0; i < shapes.length; i++) {
        denseOffsets[i] = offset;
        views[i] = view(shapes[i], offset);
        offset += shapes[i][0] * shapes[i][1];
      }
      // Norms are tiny and read by Java code: they live on the heap, outside the budgeted native memory, and are
      // counted in the dense section's bytes all the same.
      offset += 2L * h;
      inputNorm = new float[h];
      postAttentionNorm = new float[h];
      dense = new LayerWeights(inputNorm, postAttentionNorm, views[0], views[1], views[2], views[3], views[4]);
    }
    experts = new ExpertWeights[c.experts()];
    expertOffsets = new long[c.experts()];
    for (int e = 0; e < c.experts(); e++) {
      expertOffsets[e] = offset;
      INDArray gate = view(new long[] {inter, h}, offset);
      INDArray up = view(new long[] {inter, h}, offset + (long) inter * h);
      INDArray down = view(new long[] {h, inter}, offset + 2L * inter * h);
      experts[e] = new ExpertWeights(gate, up, down);
      offset += 3L * inter * h;
    }
  }

  private INDArray view(long[] shape, long offset) {
    return Nd4j.create(memory.data(), shape, new long[] {shape[1], 1}, offset, 'c');
  }

  @Override
  public int generation() {
    return generation;
  }

  @Override
  public int index() {
    return index;
  }

  /** Starts a new assignment; loads of the previous one become stale. */
  void assign(int newLayer, int experts) {
    generation++;
    layer = newLayer;
    denseLoad = null;
    expertLoads = new Load[experts];
  }

  @Override
  public void close() {
    memory.close();
  }
}
