package dev.ringmoe.checkpoint;

import static dev.ringmoe.checkpoint.HalfFloats.bf16ToFloat;
import static dev.ringmoe.checkpoint.HalfFloats.f16ToFloat;
import static dev.ringmoe.checkpoint.HalfFloats.floatToBf16;
import static dev.ringmoe.checkpoint.HalfFloats.floatToF16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

  /** binary16 decoded straight from the IEEE definition, in double arithmetic. */
  private static double f16Reference(int h) {
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    double v;
    if (exp == 0x1F) {
      v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (exp == 0) {
      v = mant / 1024.0 * Math.pow(2, -14);
    } else {
      v = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
    }
    return sign == 1 ? -v : v;
  }

  @Test
  void f16ToFloatMatchesTheDefinitionForAll65536Values() {
    for (int h = 0; h < 65536; h++) {
      float got = f16ToFloat((short) h);
      double want = f16Reference(h);
      if (Double.isNaN(want)) {
        assertTrue(Float.isNaN(got), "NaN expected for 0x" + Integer.toHexString(h));
        assertEquals(h & 0x8000, (Float.floatToRawIntBits(got) >>> 16) & 0x8000, "NaN sign");
      } else {
        assertEquals(want, (double) got, 0.0, "0x" + Integer.toHexString(h));
        // distinguishes -0.0 from +0.0
        assertEquals(
            Double.doubleToRawLongBits(want) >>> 63,
            (long) (Float.floatToRawIntBits(got) >>> 31),
            "sign of 0x" + Integer.toHexString(h));
      }
    }
  }

  @Test
  void f16RoundTripsEveryValueExactly() {
    for (int h = 0; h < 65536; h++) {
      float f = f16ToFloat((short) h);
      short back = floatToF16(f);
      if (Float.isNaN(f)) {
        assertTrue(Float.isNaN(f16ToFloat(back)), "NaN stays NaN: 0x" + Integer.toHexString(h));
      } else {
        assertEquals(h, back & 0xFFFF, "0x" + Integer.toHexString(h));
      }
    }
  }

  @Test
  void floatToF16RoundsMidpointsToEvenAndNeighboursToNearest() {
    // Every pair of adjacent finite positive halves (including subnormals and the normal boundary).
    for (int h = 0; h < 0x7BFF; h++) {
      float lo = f16ToFloat((short) h);
      float hi = f16ToFloat((short) (h + 1));
      float mid = (float) (((double) lo + hi) / 2); // exact: needs 12 significant bits
      int even = (h & 1) == 0 ? h : h + 1;
      assertEquals(even, floatToF16(mid) & 0xFFFF, "midpoint above 0x" + Integer.toHexString(h));
      assertEquals(
          h, floatToF16(Math.nextDown(mid)) & 0xFFFF, "below midpoint 0x" + Integer.toHexString(h));
      assertEquals(
          h + 1,
          floatToF16(Math.nextUp(mid)) & 0xFFFF,
          "above midpoint 0x" + Integer.toHexString(h));
      assertEquals(
          (h | 0x8000),
          floatToF16(-Math.nextDown(mid)) & 0xFFFF,
          "negative 0x" + Integer.toHexString(h));
    }
  }

  @Test
  void floatToF16SpecialCases() {
    assertEquals(0x7C00, floatToF16(Float.POSITIVE_INFINITY) & 0xFFFF);
    assertEquals(0xFC00, floatToF16(Float.NEGATIVE_INFINITY) & 0xFFFF);
    assertEquals(0x7BFF, floatToF16(65504f) & 0xFFFF);
    assertEquals(0x7BFF, floatToF16(Math.nextDown(65520f)) & 0xFFFF);
    assertEquals(0x7C00, floatToF16(65520f) & 0xFFFF, "midpoint to 2^16 rounds to even = infinity");
    assertEquals(0x7C00, floatToF16(1e10f) & 0xFFFF);
    assertEquals(0x0000, floatToF16(0x1p-25f) & 0xFFFF, "half the smallest subnormal ties to zero");
    assertEquals(0x0001, floatToF16(Math.nextUp(0x1p-25f)) & 0xFFFF);
    assertEquals(0x0001, floatToF16(0x1p-24f) & 0xFFFF);
    assertEquals(0x8000, floatToF16(-1e-30f) & 0xFFFF);
    assertEquals(0x8000, floatToF16(-0.0f) & 0xFFFF);
    assertEquals(0x3C00, floatToF16(1f) & 0xFFFF);
    assertEquals(0x3555, floatToF16(1f / 3) & 0xFFFF);
    assertEquals(
        0x0400, floatToF16(Math.nextDown(0x1p-14f)) & 0xFFFF, "rounds up into the smallest normal");
    short nan = floatToF16(Float.NaN);
    assertTrue(Float.isNaN(f16ToFloat(nan)));
    // a NaN whose payload sits only in the low bits must not become infinity
    assertTrue(Float.isNaN(f16ToFloat(floatToF16(Float.intBitsToFloat(0x7F800001)))));
    assertTrue(Float.isNaN(f16ToFloat(floatToF16(Float.intBitsToFloat(0xFF800001)))));
    assertEquals(0x8000, floatToF16(Float.intBitsToFloat(0xFF800001)) & 0x8000);
  }

  @Test
  void bf16ConversionsRoundToNearestEven() {
    assertEquals(1.0f, bf16ToFloat((short) 0x3F80));
    assertEquals(-2.0f, bf16ToFloat((short) 0xC000));
    assertEquals(0x3F80, floatToBf16(1.0f) & 0xFFFF);
    // 1 + 2^-8 is the midpoint between 1 (even) and 1 + 2^-7: ties to even goes down
    assertEquals(0x3F80, floatToBf16(1.0f + 0x1p-8f) & 0xFFFF);
    // 1 + 3 * 2^-8 is the midpoint between 0x3F81 (odd) and 0x3F82: goes up to even
    assertEquals(0x3F82, floatToBf16(1.0f + 3 * 0x1p-8f) & 0xFFFF);
    assertEquals(0x3F81, floatToBf16(Math.nextUp(1.0f + 0x1p-8f)) & 0xFFFF);
    assertEquals(0x7F80, floatToBf16(Float.POSITIVE_INFINITY) & 0xFFFF);
    assertEquals(0xFF80, floatToBf16(Float.NEGATIVE_INFINITY) & 0xFFFF);
    assertEquals(0x7F80, floatToBf16(Float.MAX_VALUE) & 0xFFFF, "overflows to infinity");
    assertTrue(Float.isNaN(bf16ToFloat(floatToBf16(Float.NaN))));
    assertTrue(Float.isNaN(bf16ToFloat(floatToBf16(Float.intBitsToFloat(0x7F800001)))));
    assertEquals(0x8000, floatToBf16(-0.0f) & 0xFFFF);
    assertEquals(0x0001, floatToBf16(Float.intBitsToFloat(0x00010000)) & 0xFFFF, "subnormal kept");
  }

  @Test
  void bf16RoundTripsAllValuesAndRandomFloatsRoundToNearest() {
    for (int b = 0; b < 65536; b++) {
      float f = bf16ToFloat((short) b);
      if (!Float.isNaN(f)) {
        assertEquals(b, floatToBf16(f) & 0xFFFF);
      }
    }
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      float f = Float.intBitsToFloat(r.nextInt());
      if (Float.isNaN(f) || Float.isInfinite(f)) {
        continue;
      }
      int bits = floatToBf16(f) & 0xFFFF;
      float got = bf16ToFloat((short) bits);
      if (Float.isInfinite(got)) {
        continue; // overflow near MAX_VALUE
      }
      // no other bf16 value is strictly closer
      float down = bf16ToFloat((short) (bits - 1));
      float up = bf16ToFloat((short) (bits + 1));
      double err = Math.abs((double) got - f);
      assertTrue(
          (Float.isNaN(down) || err <= Math.abs((double) down - f))
              && (Float.isNaN(up) || err <= Math.abs((double) up - f)),
          "nearest for " + f);
    }
  }
}
