package dev.ringmoe.tensor;

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
 * <p>The weights are an opaque handle from {@link VectorLoads#memory}, read only through {@link
 * VectorLoads} (the JDK-specific part). Loaded only when the JVM runs with {@code --add-modules
 * jdk.incubator.vector} ({@link Kernels} checks); stateless and thread-safe.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int L = F.length();
  private static final int HIGH = 0xFFFF0000;

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
      Object w, int in, float[] x, int n, float[] out, int outBase, int outRows, int r0, int r1) {
    int rowBytes = in * 4;
    int o = r0;
    for (; o + 4 <= r1; o += 4) {
      for (int t = 0; t < n; t++) {
        rows4F32(w, in, o * rowBytes, x, t * in, out, outBase + t * outRows + o);
      }
    }
    for (; o < r1; o++) {
      for (int t = 0; t < n; t++) {
        row1F32(w, in, o * rowBytes, x, t * in, out, outBase + t * outRows + o);
      }
    }
  }

  /**
   * Four float32 rows from byte {@code b0} against the input row at {@code xo}, into {@code da}..
   */
  private static void rows4F32(Object w, int in, int b0, float[] x, int xo, float[] out, int da) {
    int rowBytes = in * 4;
    int vecEnd = in - in % L;
    int b1 = b0 + rowBytes;
    int b2 = b1 + rowBytes;
    int b3 = b2 + rowBytes;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    int i = 0;
    for (; i < vecEnd; i += L) {
      FloatVector xv = FloatVector.fromArray(F, x, xo + i);
      a0 = VectorLoads.floats(F, w, b0 + 4 * i).fma(xv, a0);
      a1 = VectorLoads.floats(F, w, b1 + 4 * i).fma(xv, a1);
      a2 = VectorLoads.floats(F, w, b2 + 4 * i).fma(xv, a2);
      a3 = VectorLoads.floats(F, w, b3 + 4 * i).fma(xv, a3);
    }
    out[da] = tailF32(w, b0, i, in, x, xo, a0.reduceLanes(VectorOperators.ADD));
    out[da + 1] = tailF32(w, b1, i, in, x, xo, a1.reduceLanes(VectorOperators.ADD));
    out[da + 2] = tailF32(w, b2, i, in, x, xo, a2.reduceLanes(VectorOperators.ADD));
    out[da + 3] = tailF32(w, b3, i, in, x, xo, a3.reduceLanes(VectorOperators.ADD));
  }

  /** One float32 row from byte {@code b0} against the input row at {@code xo}, into {@code dst}. */
  private static void row1F32(Object w, int in, int b0, float[] x, int xo, float[] out, int dst) {
    int vecEnd = in - in % L;
    FloatVector a0 = FloatVector.zero(F);
    int i = 0;
    for (; i < vecEnd; i += L) {
      a0 = VectorLoads.floats(F, w, b0 + 4 * i).fma(FloatVector.fromArray(F, x, xo + i), a0);
    }
    out[dst] = tailF32(w, b0, i, in, x, xo, a0.reduceLanes(VectorOperators.ADD));
  }

  private static float tailF32(Object w, int b0, int i, int in, float[] x, int xo, float s) {
    for (; i < in; i++) {
      s += VectorLoads.getFloat(w, b0 + 4 * i) * x[xo + i];
    }
    return s;
  }

  /**
   * BF16 weights ({@code in} even): as {@link #f32}, with {@code xd} the input split by {@link
   * #deinterleave}. Tokens go two at a time, so each widened weight vector serves two tokens' FMAs;
   * every (row, token) sum runs the same operations in the same order whatever the batch, so a
   * token's output does not depend on which tokens share its product (step-by-step decoding equals
   * the full forward bit for bit).
   */
  static void bf16(
      Object w, int in, float[] xd, int n, float[] out, int outBase, int outRows, int r0, int r1) {
    int rowBytes = in * 2;
    int o = r0;
    for (; o + 4 <= r1; o += 4) {
      int t = 0;
      for (; t + 2 <= n; t += 2) {
        rows4Tokens2(w, in, o * rowBytes, xd, t, out, outBase + t * outRows + o, outRows);
      }
      for (; t < n; t++) {
        rows4Token1(w, in, o * rowBytes, xd, t, out, outBase + t * outRows + o);
      }
    }
    for (; o < r1; o++) {
      for (int t = 0; t < n; t++) {
        row1Token1(w, in, o * rowBytes, xd, t, out, outBase + t * outRows + o);
      }
    }
  }

  // The blocks are methods of their own so that each stays small enough for C2 to keep every
  // vector in a register (one large method fell back to boxed vectors: decode ran 4x slower).

  /** Four rows from byte {@code b0} for tokens {@code t} and {@code t + 1}, into {@code da}.. */
  private static void rows4Tokens2(
      Object w, int in, int b0, float[] xd, int t, float[] out, int da, int outRows) {
    int rowBytes = in * 2;
    int half = in / 2;
    int vecEnd = half - half % L;
    int b1 = b0 + rowBytes;
    int b2 = b1 + rowBytes;
    int b3 = b2 + rowBytes;
    int ea = t * in;
    int oa = ea + half;
    int eb = ea + in;
    int ob = eb + half;
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
      FloatVector xea = FloatVector.fromArray(F, xd, ea + j);
      FloatVector xoa = FloatVector.fromArray(F, xd, oa + j);
      FloatVector xeb = FloatVector.fromArray(F, xd, eb + j);
      FloatVector xob = FloatVector.fromArray(F, xd, ob + j);
      IntVector p0 = VectorLoads.ints(I, w, b0 + 4 * j);
      IntVector p1 = VectorLoads.ints(I, w, b1 + 4 * j);
      IntVector p2 = VectorLoads.ints(I, w, b2 + 4 * j);
      IntVector p3 = VectorLoads.ints(I, w, b3 + 4 * j);
      FloatVector l0 = low(p0);
      FloatVector h0 = high(p0);
      FloatVector l1 = low(p1);
      FloatVector h1 = high(p1);
      FloatVector l2 = low(p2);
      FloatVector h2 = high(p2);
      FloatVector l3 = low(p3);
      FloatVector h3 = high(p3);
      a0 = h0.fma(xoa, l0.fma(xea, a0));
      c0 = h0.fma(xob, l0.fma(xeb, c0));
      a1 = h1.fma(xoa, l1.fma(xea, a1));
      c1 = h1.fma(xob, l1.fma(xeb, c1));
      a2 = h2.fma(xoa, l2.fma(xea, a2));
      c2 = h2.fma(xob, l2.fma(xeb, c2));
      a3 = h3.fma(xoa, l3.fma(xea, a3));
      c3 = h3.fma(xob, l3.fma(xeb, c3));
    }
    int db = da + outRows;
    out[da] = tail(w, b0, j, half, xd, ea, oa, a0.reduceLanes(VectorOperators.ADD));
    out[da + 1] = tail(w, b1, j, half, xd, ea, oa, a1.reduceLanes(VectorOperators.ADD));
    out[da + 2] = tail(w, b2, j, half, xd, ea, oa, a2.reduceLanes(VectorOperators.ADD));
    out[da + 3] = tail(w, b3, j, half, xd, ea, oa, a3.reduceLanes(VectorOperators.ADD));
    out[db] = tail(w, b0, j, half, xd, eb, ob, c0.reduceLanes(VectorOperators.ADD));
    out[db + 1] = tail(w, b1, j, half, xd, eb, ob, c1.reduceLanes(VectorOperators.ADD));
    out[db + 2] = tail(w, b2, j, half, xd, eb, ob, c2.reduceLanes(VectorOperators.ADD));
    out[db + 3] = tail(w, b3, j, half, xd, eb, ob, c3.reduceLanes(VectorOperators.ADD));
  }

  /** Four rows from byte {@code b0} for token {@code t}, into {@code da}... */
  private static void rows4Token1(
      Object w, int in, int b0, float[] xd, int t, float[] out, int da) {
    int rowBytes = in * 2;
    int half = in / 2;
    int vecEnd = half - half % L;
    int b1 = b0 + rowBytes;
    int b2 = b1 + rowBytes;
    int b3 = b2 + rowBytes;
    int ea = t * in;
    int oa = ea + half;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    int j = 0;
    for (; j < vecEnd; j += L) {
      FloatVector xea = FloatVector.fromArray(F, xd, ea + j);
      FloatVector xoa = FloatVector.fromArray(F, xd, oa + j);
      IntVector p0 = VectorLoads.ints(I, w, b0 + 4 * j);
      IntVector p1 = VectorLoads.ints(I, w, b1 + 4 * j);
      IntVector p2 = VectorLoads.ints(I, w, b2 + 4 * j);
      IntVector p3 = VectorLoads.ints(I, w, b3 + 4 * j);
      a0 = high(p0).fma(xoa, low(p0).fma(xea, a0));
      a1 = high(p1).fma(xoa, low(p1).fma(xea, a1));
      a2 = high(p2).fma(xoa, low(p2).fma(xea, a2));
      a3 = high(p3).fma(xoa, low(p3).fma(xea, a3));
    }
    out[da] = tail(w, b0, j, half, xd, ea, oa, a0.reduceLanes(VectorOperators.ADD));
    out[da + 1] = tail(w, b1, j, half, xd, ea, oa, a1.reduceLanes(VectorOperators.ADD));
    out[da + 2] = tail(w, b2, j, half, xd, ea, oa, a2.reduceLanes(VectorOperators.ADD));
    out[da + 3] = tail(w, b3, j, half, xd, ea, oa, a3.reduceLanes(VectorOperators.ADD));
  }

  /** One row from byte {@code b0} for token {@code t}, into {@code dst}. */
  private static void row1Token1(
      Object w, int in, int b0, float[] xd, int t, float[] out, int dst) {
    int half = in / 2;
    int vecEnd = half - half % L;
    int ea = t * in;
    int oa = ea + half;
    FloatVector a0 = FloatVector.zero(F);
    int j = 0;
    for (; j < vecEnd; j += L) {
      IntVector p0 = VectorLoads.ints(I, w, b0 + 4 * j);
      a0 =
          high(p0)
              .fma(
                  FloatVector.fromArray(F, xd, oa + j),
                  low(p0).fma(FloatVector.fromArray(F, xd, ea + j), a0));
    }
    out[dst] = tail(w, b0, j, half, xd, ea, oa, a0.reduceLanes(VectorOperators.ADD));
  }

  /**
   * Finishes one (row, token) sum {@code s} (its vector lanes, summed by the caller: a vector
   * passed to a method the JIT does not inline is boxed) with the pairs from {@code j} to {@code
   * half} that do not fill a vector.
   */
  private static float tail(
      Object w, int rowBase, int j, int half, float[] xd, int even, int odd, float s) {
    for (; j < half; j++) {
      s += pairDot(VectorLoads.getInt(w, rowBase + 4 * j), xd[even + j], xd[odd + j]);
    }
    return s;
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
