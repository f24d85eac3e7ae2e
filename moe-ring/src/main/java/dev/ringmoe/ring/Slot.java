package dev.ringmoe.ring;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.LayerWeights;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One fixed-size region of device memory holding one layer's streamed sections at a time, at fixed
 * offsets: the dense section first (when dense sections stream), then expert 0, 1, ... Views over
 * those offsets are made once, so reusing a slot for another layer allocates nothing.
 *
 * <p>Guarded by the owning {@link SectionRing}'s lock, except the memory, which the copy thread
 * writes only for a claimed {@link Load} of the current assignment and compute reads only after
 * that load completed.
 */
final class Slot implements LoadTarget, AutoCloseable {
  final int index;
  final INDArray memory;

  /**
   * Views for each layer's dense section, by layer; layers of the same shapes share one. Null when
   * resident.
   */
  private final LayerWeights[] dense;

  final ExpertWeights[] experts;
  final long[] expertOffsets;

  private volatile int generation;
  int layer = -1;
  int users;
  Load denseLoad;
  Load[] expertLoads;

  /**
   * Lays out the slot by the manifest: a layer's dense section from offset 0 (layers whose dense
   * sections differ, such as Qwen2-MoE's dense MLP layers, get views of their own over the same
   * memory), then the experts, whose sections have the same shapes in every sparse layer.
   */
  Slot(int index, SectionPlan plan) {
    ModelConfig c = plan.config();
    WeightManifest manifest = WeightManifest.of(c);
    this.index = index;
    int width = plan.weightType().width();
    this.memory = Nd4j.create(plan.weightType(), plan.slotBytes() / width);
    long offset = 0;
    if (plan.denseResident()) {
      dense = null;
    } else {
      dense = new LayerWeights[c.layers()];
      Map<String, LayerWeights> byLayout = new HashMap<>();
      for (int l = 0; l < c.layers(); l++) {
        Section section = manifest.dense(l);
        dense[l] = byLayout.computeIfAbsent(layout(section), k -> views(section));
      }
      offset = plan.denseBytes() / width;
    }
    experts = new ExpertWeights[c.experts()];
    expertOffsets = new long[c.experts()];
    // every routing layer's experts have one layout; layer 0 may be dense
    int routing = c.moeLayers()[0];
    for (int e = 0; e < c.experts(); e++) {
      expertOffsets[e] = offset;
      experts[e] = ExpertSlot.views(manifest.expert(routing, e), memory, offset);
      offset += manifest.expert(routing, e).nativeFloats();
    }
  }

  /** The dense weights of {@code layer} in this slot (valid while the slot holds that layer). */
  LayerWeights dense(int layer) {
    return dense[layer];
  }

  private LayerWeights views(Section section) {
    Map<Role, INDArray> matrices = new EnumMap<>(Role.class);
    Map<Role, float[]> vectors = new EnumMap<>(Role.class);
    for (TensorEntry t : section.tensors()) {
      if (t.onHeap()) {
        // Norms and biases are tiny and read by Java code: they live on the heap, outside the
        // budgeted native
        // memory, and are counted in the dense section's bytes all the same.
        vectors.put(t.role(), new float[(int) t.elements()]);
      } else {
        matrices.put(t.role(), view(t.shape(), section.offset(t.role())));
      }
    }
    return new LayerWeights(section, matrices, vectors);
  }

  /** The roles and shapes of a section: sections with the same layout share views. */
  private static String layout(Section section) {
    StringBuilder b = new StringBuilder();
    for (TensorEntry t : section.tensors()) {
      b.append(t.role()).append(java.util.Arrays.toString(t.shape())).append(';');
    }
    return b.toString();
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
