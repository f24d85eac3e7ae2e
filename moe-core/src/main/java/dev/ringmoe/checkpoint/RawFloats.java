package dev.ringmoe.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The one conversion of a floating-point tensor's raw bytes, as a safetensors file stores them
 * (little-endian), into float32. Used by {@link SafetensorsFile#readFloat32} and by callers that
 * fetched raw bytes through a {@link TensorReader}. Stateless and thread-safe.
 */
public final class RawFloats {
  private RawFloats() {}

  /** Whether {@link #toFloat32} converts this dtype: F32, F64, F16 and BF16. */
  public static boolean convertible(DType dtype) {
    return dtype == DType.F32 || dtype == DType.F64 || dtype == DType.F16 || dtype == DType.BF16;
  }

  /**
   * Converts {@code count} elements of {@code dtype} from {@code src} (read from its position as
   * little-endian, whatever its byte order) to float32 in {@code dst} (written from its position),
   * advancing both positions. Exact except for F64, which is rounded to nearest.
   *
   * @throws IllegalArgumentException if the dtype is not {@link #convertible}, {@code count} is
   *     negative, or either buffer has too little remaining
   */
  public static void toFloat32(DType dtype, ByteBuffer src, FloatBuffer dst, long count) {
    if (!convertible(dtype)) {
      throw new IllegalArgumentException("dtype " + dtype + " cannot be converted to float32");
    }
    if (count < 0 || count > dst.remaining() || count > src.remaining() / dtype.byteSize()) {
      throw new IllegalArgumentException(
          "cannot convert "
              + count
              + " "
              + dtype
              + " elements from "
              + src.remaining()
              + " source bytes into "
              + dst.remaining()
              + " remaining floats");
    }
    int n = (int) count;
    int bytes = n * dtype.byteSize();
    ByteBuffer in = src.slice(src.position(), bytes).order(ByteOrder.LITTLE_ENDIAN);
    int base = dst.position();
    switch (dtype) {
      case F32:
        // Bulk copy: memcpy when the platform is little-endian.
        dst.put(in.asFloatBuffer());
        break;
      case BF16:
        {
          ShortBuffer s = in.asShortBuffer();
          for (int i = 0; i < n; i++) {
            dst.put(base + i, Float.intBitsToFloat((s.get(i) & 0xFFFF) << 16));
          }
          dst.position(base + n);
          break;
        }
      case F16:
        {
          ShortBuffer s = in.asShortBuffer();
          for (int i = 0; i < n; i++) {
            dst.put(base + i, HalfFloats.f16ToFloat(s.get(i)));
          }
          dst.position(base + n);
          break;
        }
      case F64:
        {
          DoubleBuffer d = in.asDoubleBuffer();
          for (int i = 0; i < n; i++) {
            dst.put(base + i, (float) d.get(i));
          }
          dst.position(base + n);
          break;
        }
      default:
        throw new AssertionError(dtype);
    }
    src.position(src.position() + bytes);
  }
}
