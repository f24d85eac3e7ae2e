package dev.ringmoe.checkpoint;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor to be written: name, element type and shape. Immutable and thread-safe; {@link #shape()}
 * returns a copy.
 *
 * @param name non-empty tensor name
 * @param dtype element type
 * @param shape dimensions, outermost first, each non-negative; empty for a scalar
 */
public record TensorSpec(String name, DType dtype, long[] shape) {
  /**
   * @throws IllegalArgumentException if the name is empty or {@code __metadata__}, a dimension is
   *     negative, or the byte size overflows a long
   */
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
    if (name.isEmpty() || name.equals("__metadata__")) {
      throw new IllegalArgumentException("invalid tensor name '" + name + "'");
    }
    shape = shape.clone();
    long n = 1;
    try {
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException(
              "tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
        }
        n = Math.multiplyExact(n, d);
      }
      Math.multiplyExact(n, dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "tensor '" + name + "': shape " + Arrays.toString(shape) + " is too large", e);
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements (product of the shape). */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** The size of the tensor's data in bytes. */
  public long byteSize() {
    return elementCount() * dtype.byteSize();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return "TensorSpec[" + name + ", " + dtype + " " + Arrays.toString(shape) + "]";
  }
}
