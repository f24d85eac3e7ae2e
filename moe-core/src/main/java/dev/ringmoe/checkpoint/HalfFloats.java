package dev.ringmoe.checkpoint;

/**
 * Conversions between float32 and the 16-bit float formats stored in checkpoints: IEEE binary16
 * ({@code F16}) and bfloat16 ({@code BF16}). The 16-bit values travel as the raw bits in a {@code
 * short}.
 *
 * <p>Float-to-16-bit conversions round to nearest, ties to even (as PyTorch does), overflow to
 * infinity and keep NaN a NaN of the same sign. Stateless and thread-safe. Java 17 has no {@code
 * Float.float16ToFloat}, hence this class.
 */
public final class HalfFloats {
  private HalfFloats() {}

  /** The float32 value of bfloat16 bits; exact, since bfloat16 is the upper half of a float32. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** The bfloat16 nearest to {@code f} (ties to even); NaN stays NaN (quiet, sign kept). */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7FFFFFFF) > 0x7F800000) {
      // Truncating could clear every mantissa bit and turn a NaN into infinity, so force the quiet
      // bit.
      return (short) ((bits >>> 16) | 0x0040);
    }
    // Adding 0x7FFF plus the lowest kept bit rounds half to even; a carry into the exponent is the
    // correct
    // result, including overflow of the largest finite values to infinity.
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  /**
   * The float32 value of IEEE binary16 bits; exact, including subnormals, infinities and NaN
   * payloads.
   */
  public static float f16ToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      // Subnormal (or zero): mant units of 2^-24, exactly representable as a normal float32.
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
  }

  /**
   * The binary16 nearest to {@code f} (ties to even); beyond 65504 rounds to infinity; NaN stays
   * NaN.
   */
  public static short floatToF16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7FFFFFFF;
    if (abs >= 0x7F800000) {
      if (abs == 0x7F800000) {
        return (short) (sign | 0x7C00);
      }
      return (short) (sign | 0x7C00 | 0x200 | ((abs >>> 13) & 0x3FF));
    }
    if (abs >= 0x477FF000) {
      // 65520 is the midpoint between 65504 (odd mantissa) and 2^16, so it and everything above
      // round to inf.
      return (short) (sign | 0x7C00);
    }
    if (abs >= 0x38800000) {
      int h = ((abs >>> 23) - (127 - 15)) << 10 | ((abs >>> 13) & 0x3FF);
      int rest = abs & 0x1FFF;
      if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
        h++; // a carry into the exponent field is the right answer
      }
      return (short) (sign | h);
    }
    if (abs <= 0x33000000) {
      // At most 2^-25, half the smallest subnormal: rounds to (signed) zero, the tie going to even
      // zero.
      return (short) sign;
    }
    int e = abs >>> 23;
    int m = (abs & 0x7FFFFF) | 0x800000;
    int shift = 126 - e; // value = m * 2^(e-150) = (m >> shift) units of 2^-24
    int h = m >>> shift;
    int rest = m & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    if (rest > half || (rest == half && (h & 1) != 0)) {
      h++; // may become 0x400, the smallest normal, which is correct
    }
    return (short) (sign | h);
  }
}
