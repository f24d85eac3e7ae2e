package dev.ringmoe.manifest;

import java.util.Arrays;

/**
 * One tensor of a section: its role, its name in the checkpoint, its shape and whether a checkpoint
 * may lack it. Rank-1 tensors are kept on the Java heap ({@link #onHeap()}), the rest in native
 * memory. Immutable.
 */
public final class TensorEntry {
  private final Role role;
  private final String name;
  private final long[] shape;
  private final boolean optional;
  private final StoredSlice slice;

  public TensorEntry(Role role, String name, long[] shape, boolean optional) {
    this(role, name, shape, optional, null);
  }

  /**
   * A tensor that is part of the checkpoint tensor {@code name} ({@link StoredSlice}), or all of it
   * when {@code slice} is null.
   */
  public TensorEntry(Role role, String name, long[] shape, boolean optional, StoredSlice slice) {
    this.role = role;
    this.name = name;
    this.shape = shape.clone();
    this.optional = optional;
    this.slice = slice;
  }

  public Role role() {
    return role;
  }

  /** The tensor's name in the checkpoint. */
  public String name() {
    return name;
  }

  public long[] shape() {
    return shape.clone();
  }

  public boolean optional() {
    return optional;
  }

  /**
   * This entry as the part {@code slice} of the checkpoint tensor {@link #name()} (one expert of a
   * stacked tensor) rather than all of it.
   */
  public TensorEntry withSlice(StoredSlice slice) {
    return new TensorEntry(role, name, shape, optional, java.util.Objects.requireNonNull(slice));
  }

  /**
   * Where the tensor lies in the checkpoint tensor {@link #name()}, or null when it is that whole
   * tensor, stored in its own shape.
   */
  public StoredSlice slice() {
    return slice;
  }

  public long elements() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** Vectors (norm weights, biases) live on the Java heap; matrices in native memory. */
  public boolean onHeap() {
    return shape.length == 1;
  }

  @Override
  public String toString() {
    return role
        + " "
        + name
        + Arrays.toString(shape)
        + (slice != null ? " from " + slice : "")
        + (optional ? " (optional)" : "");
  }
}
