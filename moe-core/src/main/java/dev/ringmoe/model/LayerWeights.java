package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.tensor.Tensors;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dense part of one decoder layer, as its {@link Section} of the manifest lists it: norms and
 * biases (Java arrays), attention projections, the router, a shared expert or a dense MLP (float32
 * [out, in] ND4J arrays). Every token needs all of it, so it is one unit of residency.
 *
 * <p>Immutable holder; the arrays are owned by the {@link WeightStore} that handed the holder out
 * and are valid until the layer is released to it. Thread-safe to read.
 */
public final class LayerWeights {
  private final Section section;
  private final Map<Role, INDArray> matrices;
  private final Map<Role, float[]> vectors;

  /**
   * Wraps the given weights of {@code section}; shapes are checked by the store that loaded them.
   *
   * @throws IllegalArgumentException if a tensor the section requires is missing
   */
  public LayerWeights(Section section, Map<Role, INDArray> matrices, Map<Role, float[]> vectors) {
    this.section = Preconditions.checkNotNull(section);
    this.matrices = new EnumMap<>(Role.class);
    this.vectors = new EnumMap<>(Role.class);
    this.matrices.putAll(matrices);
    this.vectors.putAll(vectors);
    for (TensorEntry t : section.tensors()) {
      boolean present = t.onHeap() ? vectors.containsKey(t.role()) : matrices.containsKey(t.role());
      Preconditions.checkArgument(present || t.optional(), "%s: %s missing", section, t.role());
    }
  }

  public Section section() {
    return section;
  }

  /** Whether the layer has a tensor of {@code role} (optional ones may be absent). */
  public boolean has(Role role) {
    return matrices.containsKey(role) || vectors.containsKey(role);
  }

  /** The native matrix of {@code role}. @throws IllegalArgumentException if the layer has none */
  public INDArray matrix(Role role) {
    INDArray m = matrices.get(role);
    Preconditions.checkArgument(m != null, "%s has no %s matrix", section, role);
    return m;
  }

  /**
   * The heap vector of {@code role}; shared, do not modify. @throws IllegalArgumentException if
   * none
   */
  public float[] vector(Role role) {
    float[] v = vectors.get(role);
    Preconditions.checkArgument(v != null, "%s has no %s vector", section, role);
    return v;
  }

  /** The router, float32 [experts, hidden]. */
  public INDArray router() {
    return matrix(Role.ROUTER);
  }

  /**
   * The RMSNorm weight applied before the MoE block (and the router), [hidden]; shared, do not
   * modify.
   */
  public float[] postAttentionNorm() {
    return vector(Role.POST_ATTENTION_NORM);
  }

  /** Native bytes of the matrices (heap vectors excluded). */
  public long bytes() {
    long n = 0;
    for (INDArray m : matrices.values()) {
      n += Tensors.bytes(m);
    }
    return n;
  }

  /** The native matrices, for stores that account for or free them. */
  public List<INDArray> arrays() {
    return new ArrayList<>(matrices.values());
  }

  /** Closes the arrays; for the store that owns them, never for the decoder. */
  public void close() {
    matrices.values().forEach(INDArray::close);
  }
}
