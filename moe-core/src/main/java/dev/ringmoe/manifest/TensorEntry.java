package dev.ringmoe.manifest;

import java.util.Arrays;

/**
 * One tensor of a section: its role, its name in the checkpoint, its shape and whether a checkpoint
 * may lack it; for a linear weight that a block-wise FP8 checkpoint may store quantized, where its
 * scales are ({@link #fp8Scale()}). Rank-1 tensors are kept on the Java heap ({@link #onHeap()}),
 * the rest in native memory. Immutable.
 */
public final class TensorEntry {
  private final Role role;
  private final String name;
  private final long[] shape;
  private final boolean optional;
  private final Fp8Scale fp8Scale;
  private final StoredSlice slice;

  /**
   * Where the block scales of an FP8 weight are: the F32 tensor {@code name} holding one multiplier
   * per {@code blockRows x blockCols} block (edge blocks partial).
   */
  public record Fp8Scale(String name, int blockRows, int blockCols) {}

  public TensorEntry(Role role, String name, long[] shape, boolean optional) {
    this(role, name, shape, optional, null, null);
  }

  private TensorEntry(
      Role role,
      String name,
      long[] shape,
      boolean optional,
      Fp8Scale fp8Scale,
      StoredSlice slice) {
    this.role = role;
    this.name = name;
    this.shape = shape.clone();
    this.optional = optional;
    this.fp8Scale = fp8Scale;
    this.slice = slice;
  }

  /**
   * This entry, which a checkpoint may store as {@code F8_E4M3} with the F32 block scales {@code
   * <name>_scale_inv} (DeepSeek-V3's naming).
   *
   * @throws IllegalArgumentException if the entry is not a matrix
   */
  public TensorEntry withFp8Scale(int blockRows, int blockCols) {
    if (onHeap()) {
      throw new IllegalArgumentException(name + " is a vector, not an FP8-quantizable matrix");
    }
    return new TensorEntry(
        role,
        name,
        shape,
        optional,
        new Fp8Scale(name + "_scale_inv", blockRows, blockCols),
        slice);
  }

  /** Where this weight's FP8 block scales are, or {@code null} if it may not be stored as FP8. */
  public Fp8Scale fp8Scale() {
    return fp8Scale;
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
    return new TensorEntry(
        role, name, shape, optional, fp8Scale, java.util.Objects.requireNonNull(slice));
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
