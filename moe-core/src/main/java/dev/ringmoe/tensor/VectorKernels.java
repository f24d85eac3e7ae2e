package dev.ringmoe.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-product kernels on the Java Vector API (JDK 17's {@code jdk.incubator.vector}) over the
 * weights' native memory: {@code out[t, o] = Σ_i x[t, i] · w[o, i]} for weights stored [out, in]
 * row-major as float32 or bfloat16. BF16 weights are widened to float32 in registers (a bfloat16 is
 * the high half of a float32); the products and sums are float32.
 *
 * <p>Four weight rows are processed together, so each input vector loaded serves four rows and four
 * independent accumulator chains keep the loads in flight. A BF16 row is read as 32-bit pairs: the
 * low halves are the even columns, the high halves the odd ones, so widening is one shift or one
 * mask, with the input split into its even and odd columns once per product ({@link
 * #deinterleave}). The sum order is fixed by the shapes alone, so the result does not depend on how
 * the rows are split among threads.
 *
 * <p>Loaded only when the JVM runs with {@code --add-modules jdk.incubator.vector} ({@link Kernels}
 * checks); stateless and thread-safe.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int L = F.length();
  private static final int HIGH = 0xFFFF0000;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private VectorKernels() {}

  /** Forces the class (and the incubator module) to load; throws if it is unavailable. */
  static int lanes() {
    return L;
  }

  /**
   * Float32 weights: rows {@code [r0, r1)} of {@code out[t * outRows + o]} for tokens {@code t <
   * n}.
   */
  static void f32(
      ByteBuffer w,
      int in,
      float[] x,
      int n,
      float[] out,
      int outBase,
      int outRows,
      int r0,
      int r1) {
    int rowBytes = in * 4;
    int vecEnd = in - in % L;
    int o = r0;
    for (; o + 4 <= r1; o += 4) {
      int b0 = o * rowBytes;
      int b1 = b0 + rowBytes;
      int b2 = b1 + rowBytes;
      int b3 = b2 + rowBytes;
      for (int t = 0; t < n; t++) {
        int xo = t * in;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i < vecEnd; i += L) {
          FloatVector xv = FloatVector.fromArray(F, x, xo + i);
          a0 = FloatVector.fromByteBuffer(F, w, b0 + 4 * i, LE).fma(xv, a0);
          a1 = FloatVector.fromByteBuffer(F, w, b1 + 4 * i, LE).fma(xv, a1);
          a2 = FloatVector.fromByteBuffer(F, w, b2 + 4 * i, LE).fma(xv, a2);
          a3 = FloatVector.fromByteBuffer(F, w, b3 + 4 * i, LE).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
          float xi = x[xo + i];
          s0 += w.getFloat(b0 + 4 * i) * xi;
          s1 += w.getFloat(b1 + 4 * i) * xi;
          s2 += w.getFloat(b2 + 4 * i) * xi;
          s3 += w.getFloat(b3 + 4 * i) * xi;
        }
        int dst = outBase + t * outRows + o;
        out[dst] = s0;
        out[dst + 1] = s1;
        out[dst + 2] = s2;
        out[dst + 3] = s3;
      }
    }
    for (; o < r1; o++) {
      int b0 = o * rowBytes;
      for (int t = 0; t < n; t++) {
        int xo = t * in;
        FloatVector a0 = FloatVector.zero(F);
        int i = 0;
        for (; i < vecEnd; i += L) {
          a0 =
              FloatVector.fromByteBuffer(F, w, b0 + 4 * i, LE)
                  .fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
          s0 += w.getFloat(b0 + 4 * i) * x[xo + i];
        }
        out[outBase + t * outRows + o] = s0;
      }
    }
  }

  /**
   * BF16 weights ({@code in} even): as {@link #f32}, with {@code xd} the input split by {@link
   * #deinterleave}.
   */
  static void bf16(
      ByteBuffer w,
      int in,
      float[] xd,
      int n,
      float[] out,
      int outBase,
      int outRows,
      int r0,
      int r1) {
    int rowBytes = in * 2;
    int half = in / 2;
    int vecEnd = half - half % L;
    int o = r0;
    for (; o + 4 <= r1; o += 4) {
      int b0 = o * rowBytes;
      int b1 = b0 + rowBytes;
      int b2 = b1 + rowBytes;
      int b3 = b2 + rowBytes;
      for (int t = 0; t < n; t++) {
        int ev = t * in;
        int od = ev + half;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector c2 = a0;
        FloatVector c3 = a0;
        int j = 0;
        for (; j < vecEnd; j += L) {
          FloatVector xe = FloatVector.fromArray(F, xd, ev + j);
          FloatVector xo = FloatVector.fromArray(F, xd, od + j);
          IntVector p0 = IntVector.fromByteBuffer(I, w, b0 + 4 * j, LE);
          IntVector p1 = IntVector.fromByteBuffer(I, w, b1 + 4 * j, LE);
          IntVector p2 = IntVector.fromByteBuffer(I, w, b2 + 4 * j, LE);
          IntVector p3 = IntVector.fromByteBuffer(I, w, b3 + 4 * j, LE);
          a0 = low(p0).fma(xe, a0);
          c0 = high(p0).fma(xo, c0);
          a1 = low(p1).fma(xe, a1);
          c1 = high(p1).fma(xo, c1);
          a2 = low(p2).fma(xe, a2);
          c2 = high(p2).fma(xo, c2);
          a3 = low(p3).fma(xe, a3);
          c3 = high(p3).fma(xo, c3);
        }
        float s0 = a0.add(c0).reduceLanes(VectorOperators.ADD);
        float s1 = a1.add(c1).reduceLanes(VectorOperators.ADD);
        float s2 = a2.add(c2).reduceLanes(VectorOperators.ADD);
        float s3 = a3.add(c3).reduceLanes(VectorOperators.ADD);
        for (; j < half; j++) {
          float xe = xd[ev + j];
          float xo = xd[od + j];
          s0 += pairDot(w.getInt(b0 + 4 * j), xe, xo);
          s1 += pairDot(w.getInt(b1 + 4 * j), xe, xo);
          s2 += pairDot(w.getInt(b2 + 4 * j), xe, xo);
          s3 += pairDot(w.getInt(b3 + 4 * j), xe, xo);
        }
        int dst = outBase + t * outRows + o;
        out[dst] = s0;
        out[dst + 1] = s1;
        out[dst + 2] = s2;
        out[dst + 3] = s3;
      }
    }
    for (; o < r1; o++) {
      int b0 = o * rowBytes;
      for (int t = 0; t < n; t++) {
        int ev = t * in;
        int od = ev + half;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector c0 = a0;
        int j = 0;
        for (; j < vecEnd; j += L) {
          IntVector p0 = IntVector.fromByteBuffer(I, w, b0 + 4 * j, LE);
          a0 = low(p0).fma(FloatVector.fromArray(F, xd, ev + j), a0);
          c0 = high(p0).fma(FloatVector.fromArray(F, xd, od + j), c0);
        }
        float s0 = a0.add(c0).reduceLanes(VectorOperators.ADD);
        for (; j < half; j++) {
          s0 += pairDot(w.getInt(b0 + 4 * j), xd[ev + j], xd[od + j]);
        }
        out[outBase + t * outRows + o] = s0;
      }
    }
  }

  private static FloatVector low(IntVector pair) {
    return pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  private static FloatVector high(IntVector pair) {
    return pair.lanewise(VectorOperators.AND, HIGH).reinterpretAsFloats();
  }

  private static float pairDot(int pair, float even, float odd) {
    return Float.intBitsToFloat(pair << 16) * even + Float.intBitsToFloat(pair & HIGH) * odd;
  }

  /** Splits each row of {@code x} ([n, in]) into its even columns, then its odd ones. */
  static void deinterleave(float[] x, int n, int in, float[] xd) {
    int half = in / 2;
    for (int t = 0; t < n; t++) {
      int src = t * in;
      for (int j = 0; j < half; j++) {
        xd[src + j] = x[src + 2 * j];
        xd[src + half + j] = x[src + 2 * j + 1];
      }
    }
  }
}
