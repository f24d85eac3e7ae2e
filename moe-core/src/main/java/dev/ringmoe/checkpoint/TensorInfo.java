package dev.ringmoe.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives: its name, element type, shape and byte range in a safetensors file.
 *
 * <p>Immutable and thread-safe. Instances come from {@link SafetensorsFile} or {@link Checkpoint},
 * whose header validation guarantees that {@code byteSize() == elementCount() * dtype().byteSize()}
 * and that the range lies inside the file.
 */
public final class TensorInfo {
  private final String name;
  private final DType dtype;
  private final long[] shape;
  private final long elementCount;
  private final Path file;
  private final long fileOffset;

  /** The header's tensor this one is a range of; {@code this} for a header's tensor. */
  private final TensorInfo whole;

  TensorInfo(
      String name, DType dtype, long[] shape, long elementCount, Path file, long fileOffset) {
    this(name, dtype, shape, elementCount, file, fileOffset, null);
  }

  private TensorInfo(
      String name,
      DType dtype,
      long[] shape,
      long elementCount,
      Path file,
      long fileOffset,
      TensorInfo whole) {
    this.name = Objects.requireNonNull(name);
    this.dtype = Objects.requireNonNull(dtype);
    this.shape = shape.clone();
    this.elementCount = elementCount;
    this.file = Objects.requireNonNull(file);
    this.fileOffset = fileOffset;
    this.whole = whole == null ? this : whole;
  }

  /**
   * Elements {@code [first, first + count)} of this tensor read flat (row-major), as a rank-1
   * tensor of its own with the same name and file: what a {@link TensorReader} reads to fetch one
   * slice of a stacked tensor (one expert's rows of a {@code [experts, ...]} tensor) rather than
   * all of it.
   *
   * @throws IllegalArgumentException if the range is not inside this tensor
   */
  public TensorInfo range(long first, long count) {
    if (first < 0 || count < 0 || first > elementCount - count) {
      throw new IllegalArgumentException(
          "elements [" + first + ", " + first + " + " + count + ") are outside " + this);
    }
    return new TensorInfo(
        name, dtype, new long[] {count}, count, file, fileOffset + first * dtype.byteSize(), whole);
  }

  /** The header's tensor this is a {@link #range} of, or this tensor itself. */
  public TensorInfo whole() {
    return whole;
  }

  /**
   * The tensor's name as written in the header, e.g. {@code
   * model.layers.0.self_attn.q_proj.weight}.
   */
  public String name() {
    return name;
  }

  public DType dtype() {
    return dtype;
  }

  /**
   * The shape, outermost dimension first (row-major); a fresh copy each call. A scalar has an empty
   * shape.
   */
  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements (the product of the shape; 1 for a scalar). */
  public long elementCount() {
    return elementCount;
  }

  /** The size of the tensor's data in bytes. */
  public long byteSize() {
    return elementCount * dtype.byteSize();
  }

  /** The safetensors file holding the data. */
  public Path file() {
    return file;
  }

  /**
   * Absolute offset in {@link #file()}, in bytes, of the first data byte (8 + header length + begin
   * offset).
   */
  public long fileOffset() {
    return fileOffset;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TensorInfo)) {
      return false;
    }
    TensorInfo t = (TensorInfo) o;
    return fileOffset == t.fileOffset
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && file.equals(t.file);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), file, fileOffset);
  }

  @Override
  public String toString() {
    return "TensorInfo["
        + name
        + ", "
        + dtype
        + " "
        + Arrays.toString(shape)
        + ", "
        + file
        + " @"
        + fileOffset
        + "]";
  }
}
