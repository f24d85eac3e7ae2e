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

  public TensorEntry(Role role, String name, long[] shape, boolean optional) {
    this.role = role;
    this.name = name;
    this.shape = shape.clone();
    this.optional = optional;
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
    return role + " " + name + Arrays.toString(shape) + (optional ? " (optional)" : "");
  }
}
