package dev.ringmoe.checkpoint;

/**
 * The element types that the safetensors format names in its header, with their storage size.
 *
 * <p>The constant names are exactly the strings used in safetensors headers. Immutable and
 * thread-safe.
 */
public enum DType {
  BOOL(1, false),
  U8(1, false),
  I8(1, false),
  F8_E5M2(1, true),
  F8_E4M3(1, true),
  I16(2, false),
  U16(2, false),
  F16(2, true),
  BF16(2, true),
  I32(4, false),
  U32(4, false),
  F32(4, true),
  F64(8, true),
  I64(8, false),
  U64(8, false);

  private final int byteSize;
  private final boolean floatingPoint;

  DType(int byteSize, boolean floatingPoint) {
    this.byteSize = byteSize;
    this.floatingPoint = floatingPoint;
  }

  /** Size of one element in bytes. */
  public int byteSize() {
    return byteSize;
  }

  /** Whether the elements are floating-point numbers (including the 8-bit float formats). */
  public boolean isFloatingPoint() {
    return floatingPoint;
  }

  /**
   * The dtype with the given safetensors name (case-sensitive, e.g. {@code "BF16"}).
   *
   * @throws IllegalArgumentException if the name is not a safetensors dtype; callers reading a file
   *     turn this into a {@link CheckpointFormatException} that names the file and tensor
   */
  public static DType parse(String name) {
    if (name != null) {
      for (DType d : values()) {
        if (d.name().equals(name)) {
          return d;
        }
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + name + "'");
  }
}
