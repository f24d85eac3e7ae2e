package dev.ringmoe.ring;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.LayerWeights;
import java.util.EnumMap;
import java.util.Map;
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
  final ExpertWeights[] experts;
  final long[] expertOffsets;

  private volatile int generation;
  int layer = -1;
  int users;
  Load denseLoad;
  Load[] expertLoads;

  /** Lays out the slot by the manifest of layer 0's sections; every layer's sections have the same shapes. */
  Slot(int index, SectionPlan plan) {
    ModelConfig c = plan.config();
    WeightManifest manifest = WeightManifest.of(c);
    this.index = index;
    long floats = plan.slotBytes() / 4;
    this.memory = Nd4j.create(DataType.FLOAT, floats);
    long offset = 0;
    if (plan.denseResident()) {
      dense = null;
    } else {
      Section section = manifest.dense(0);
      Map<Role, INDArray> matrices = new EnumMap<>(Role.class);
      Map<Role, float[]> vectors = new EnumMap<>(Role.class);
      for (TensorEntry t : section.tensors()) {
        if (t.onHeap()) {
          // Norms and biases are tiny and read by Java code: they live on the heap, outside the budgeted native
          // memory, and are counted in the dense section's bytes all the same.
          vectors.put(t.role(), new float[(int) t.elements()]);
        } else {
          matrices.put(t.role(), view(t.shape(), section.offset(t.role())));
        }
      }
      dense = new LayerWeights(section, matrices, vectors);
      offset = section.parameters();
    }
    experts = new ExpertWeights[c.experts()];
    expertOffsets = new long[c.experts()];
    for (int e = 0; e < c.experts(); e++) {
      expertOffsets[e] = offset;
      experts[e] = ExpertSlot.views(manifest.expert(0, e), memory, offset);
      offset += manifest.expert(0, e).nativeFloats();
    }
  }

  private INDArray view(long[] shape, long offset) {
    return ExpertSlot.view(memory, shape, offset);
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
