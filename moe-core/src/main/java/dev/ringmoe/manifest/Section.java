package dev.ringmoe.manifest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tensors that are resident or streamed together: the global weights, one layer's dense section
 * (norms, attention, router, shared expert or dense MLP), or one expert. The native tensors are
 * laid out consecutively in entry order ({@link #offset}), which is how a ring slot or expert slot
 * holds them; heap tensors are counted in {@link #parameters()} all the same, as the budget counts
 * every weight.
 *
 * <p>Immutable.
 */
public final class Section {
  /** What the section is. */
  public enum Kind {
    GLOBAL,
    DENSE,
    EXPERT
  }

  private final Kind kind;
  private final int layer;
  private final int expert;
  private final List<TensorEntry> tensors;
  private final Map<Role, TensorEntry> byRole = new EnumMap<>(Role.class);
  private final Map<Role, Long> offsets = new EnumMap<>(Role.class);
  private final long nativeFloats;

  /**
   * @param layer the layer, or -1 for the global weights
   * @param expert the expert, or -1 for a dense or global section
   * @throws IllegalArgumentException if a role appears twice
   */
  public Section(Kind kind, int layer, int expert, List<TensorEntry> tensors) {
    this.kind = kind;
    this.layer = layer;
    this.expert = expert;
    this.tensors = Collections.unmodifiableList(new ArrayList<>(tensors));
    long offset = 0;
    for (TensorEntry t : tensors) {
      if (byRole.put(t.role(), t) != null) {
        throw new IllegalArgumentException("role " + t.role() + " twice in " + this);
      }
      if (!t.onHeap()) {
        offsets.put(t.role(), offset);
        offset += t.elements();
      }
    }
    this.nativeFloats = offset;
  }

  public Kind kind() {
    return kind;
  }

  /** The layer, or -1 for the global weights. */
  public int layer() {
    return layer;
  }

  /** The expert, or -1. */
  public int expert() {
    return expert;
  }

  public List<TensorEntry> tensors() {
    return tensors;
  }

  public Optional<TensorEntry> find(Role role) {
    return Optional.ofNullable(byRole.get(role));
  }

  /** The tensor of {@code role}. @throws IllegalArgumentException if the section has none */
  public TensorEntry get(Role role) {
    TensorEntry t = byRole.get(role);
    if (t == null) {
      throw new IllegalArgumentException(this + " has no " + role);
    }
    return t;
  }

  /**
   * Where the native tensor of {@code role} starts, in floats from the start of the section's
   * native layout.
   */
  public long offset(Role role) {
    Long o = offsets.get(role);
    if (o == null) {
      throw new IllegalArgumentException(this + " has no native " + role);
    }
    return o;
  }

  /** Floats of the native tensors, laid out consecutively. */
  public long nativeFloats() {
    return nativeFloats;
  }

  /** Every parameter of the section, heap tensors included. */
  public long parameters() {
    long n = 0;
    for (TensorEntry t : tensors) {
      n += t.elements();
    }
    return n;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case GLOBAL -> "the global weights";
      case DENSE -> "layer " + layer + " dense section";
      case EXPERT -> "layer " + layer + " expert " + expert;
    };
  }
}
