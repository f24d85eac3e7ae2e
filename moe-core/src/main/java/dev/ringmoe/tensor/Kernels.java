package dev.ringmoe.tensor;

import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.RawFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and runs the kernel of each product {@code out = x · wᵀ} (w stored [out, in]), by
 * measurement (docs/benchmarks.md §7): with few rows (decode, an expert that few tokens chose) the
 * Vector API kernels of {@link VectorKernels}, split among the cores by {@link KernelPool}, which
 * read float32 or bfloat16 weights where they lie; with many rows (prefill) ND4J's {@code gemm}
 * (oneDNN), BF16 weights widened into a float32 scratch first. Products that share their input (q,
 * k and v; gate and up) run as one split, so a token pays one hand-off per group.
 *
 * <p>Without {@code --add-modules jdk.incubator.vector} every product runs on {@code gemm}, BF16
 * weights widened first (correct, much slower; logged once). {@code -Dringmoe.kernels=nd4j} forces
 * that path; {@code -Dringmoe.kernel.f32VectorRows=N} sends float32 products of fewer than N rows
 * to the Vector API kernel (for measurements). Thread-safe: scratch is per calling thread.
 */
final class Kernels {
  private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
  static final boolean VECTOR = vectorAvailable();

  /**
   * Float32 weights take the Vector API kernel below this many rows: on JDK 17 never (oneDNN's
   * {@code gemm} read float32 weights faster at every size measured), on JDK 22+ for one row (its
   * {@code MemorySegment} loads decoded the f32 bench model 1.1x faster than {@code gemm}; with
   * more rows {@code gemm} is faster); docs/benchmarks.md §8.
   */
  static volatile int f32VectorRows =
      Integer.getInteger("ringmoe.kernel.f32VectorRows", Runtime.version().feature() >= 22 ? 2 : 0);

  /** Below this many multiply-adds a product runs on the calling thread alone. */
  private static final long SPLIT_WORK = 1 << 16;

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private Kernels() {}

  private static boolean vectorAvailable() {
    if ("nd4j".equals(System.getProperty("ringmoe.kernels"))) {
      return false;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      LOG.warn(
          "the JVM runs without --add-modules jdk.incubator.vector: matrix products use ND4J's gemm"
              + " and BF16 weights are widened to float32 for every product (slower)");
      return false;
    }
    try {
      // A product, not just the class: JDK 19 to 21 have neither the ByteBuffer loads of JDK 17
      // nor a final MemorySegment API (they fail at the first call, not at class loading).
      int in = 2 * VectorKernels.lanes();
      ByteBuffer w = ByteBuffer.allocateDirect(4 * in * 4).order(ByteOrder.LITTLE_ENDIAN);
      float[] x = new float[in];
      float[] out = new float[4];
      Object memory = VectorLoads.memory(w);
      VectorKernels.bf16(memory, in, x, 1, out, 0, 4, 0, 4);
      VectorKernels.f32(memory, in, x, 1, out, 0, 4, 0, 4);
      return true;
    } catch (LinkageError e) {
      LOG.warn(
          "the Java Vector API kernels cannot run on this JVM ({}); using ND4J's gemm, BF16 weights"
              + " widened per product (slower). They run on JDK 17-18, and on JDK 22+ from a moe-core"
              + " jar built on JDK 22 or newer (its META-INF/versions/22); JDK 19-21 have neither",
          e.toString());
      return false;
    }
  }

  /** Which kernels products with few rows use, for reports. */
  static String describe() {
    return VECTOR
        ? "BF16 weights: Java Vector API ("
            + VectorKernels.lanes() * 32
            + "-bit, "
            + KernelPool.SHARED.threads()
            + " threads); F32 weights: "
            + (f32VectorRows > 1
                ? "the Vector API below " + f32VectorRows + " rows, else ND4J gemm"
                : "ND4J gemm")
        : "ND4J gemm (BF16 weights widened per product: the Vector API kernels need JDK 17-18 or"
            + " 22+ with --add-modules jdk.incubator.vector)";
  }

  static void linear(INDArray x, INDArray[] ws, INDArray[] outs) {
    int n = (int) x.rows();
    int in = (int) x.columns();
    int vector = 0;
    for (INDArray w : ws) {
      if (onVector(w, n)) {
        vector++;
      }
    }
    if (vector < ws.length) {
      for (int k = 0; k < ws.length; k++) {
        if (!onVector(ws[k], n)) {
          gemm(x, ws[k], outs[k]);
        }
      }
      if (vector == 0) {
        return;
      }
      if (vector < ws.length) {
        INDArray[] vw = new INDArray[vector];
        INDArray[] vo = new INDArray[vector];
        for (int k = 0, j = 0; k < ws.length; k++) {
          if (onVector(ws[k], n)) {
            vw[j] = ws[k];
            vo[j++] = outs[k];
          }
        }
        ws = vw;
        outs = vo;
      }
    }
    Scratch s = SCRATCH.get();
    s.prepare(x, n, in, ws);
    long work = (long) n * in * s.totalRows;
    if (work < SPLIT_WORK) {
      s.run(0, 1);
    } else {
      KernelPool.SHARED.run(s);
    }
    s.finish(outs);
  }

  /**
   * Whether a product over {@code n} rows with weights {@code w} runs on the Vector API kernel:
   * BF16 weights always (read as they are, at every row count measured faster than widening them
   * for {@code gemm}), float32 weights below {@link #f32VectorRows} rows.
   */
  private static boolean onVector(INDArray w, int n) {
    if (!VECTOR) {
      return false;
    }
    return w.dataType() == DataType.BFLOAT16 || n < f32VectorRows;
  }

  private static void gemm(INDArray x, INDArray w, INDArray out) {
    if (w.dataType() == DataType.FLOAT) {
      Nd4j.gemm(x, w, out, false, true, 1.0, 0.0);
      return;
    }
    requireBf16(w);
    Scratch s = SCRATCH.get();
    INDArray wide = s.wide((int) w.rows(), (int) w.columns());
    widen(w, wide);
    Nd4j.gemm(x, wide, out, false, true, 1.0, 0.0);
  }

  /** Widens a BF16 matrix into {@code dst}, a float32 array of the same shape. */
  static void widen(INDArray w, INDArray dst) {
    FloatBuffer d = dst.data().asNioFloat();
    d.position(Math.toIntExact(dst.offset()));
    RawFloats.toFloat32(DType.BF16, bytes(w), d, w.length());
  }

  private static void requireBf16(INDArray w) {
    if (w.dataType() != DataType.BFLOAT16) {
      throw new IllegalArgumentException("weights must be FLOAT or BFLOAT16, were " + w.dataType());
    }
  }

  /** The native bytes of a contiguous row-major matrix (or view), little-endian, from index 0. */
  static ByteBuffer bytes(INDArray w) {
    long width = w.dataType().width();
    long start = w.offset() * width;
    long length = w.length() * width;
    if (length > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a weight matrix over 2 GiB: " + w.shapeInfoToString());
    }
    // asByteBuffer() starts at the pointer's address, whatever its position: move the address.
    BytePointer p = new BytePointer(w.data().pointer()).getPointer(start);
    p.capacity(length);
    p.limit(length);
    return p.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** One product group's operands, reused by its thread; also the job the pool splits. */
  private static final class Scratch implements KernelPool.Job {
    float[] x = new float[0];
    float[] xd = new float[0];
    float[] out = new float[0];
    Object[] w = new Object[4];
    boolean[] bf16 = new boolean[4];
    int[] rows = new int[4];
    int[] firstRow = new int[4];
    int count;
    int n;
    int in;
    int totalRows;
    private INDArray wide;

    void prepare(INDArray xa, int n, int in, INDArray[] ws) {
      this.n = n;
      this.in = in;
      count = ws.length;
      if (w.length < count) {
        w = new Object[count];
        bf16 = new boolean[count];
        rows = new int[count];
        firstRow = new int[count];
      }
      boolean anyBf16 = false;
      totalRows = 0;
      for (int k = 0; k < count; k++) {
        INDArray m = ws[k];
        if (m.columns() != in) {
          throw new IllegalArgumentException(
              "x has " + in + " columns, the weights " + m.shapeInfoToString());
        }
        if (m.dataType() != DataType.FLOAT) {
          requireBf16(m);
        }
        w[k] = VectorLoads.memory(bytes(m));
        bf16[k] = m.dataType() == DataType.BFLOAT16;
        anyBf16 |= bf16[k];
        rows[k] = (int) m.rows();
        firstRow[k] = totalRows;
        totalRows += rows[k];
      }
      int xLength = n * in;
      if (x.length < xLength) {
        x = new float[xLength];
        xd = new float[xLength];
      }
      FloatBuffer xb = xa.data().asNioFloat();
      xb.get(Math.toIntExact(xa.offset()), x, 0, xLength);
      if (anyBf16) {
        if (in % 2 != 0) {
          throw new IllegalArgumentException("BF16 weights need an even input width, was " + in);
        }
        VectorKernels.deinterleave(x, n, in, xd);
      }
      if (out.length < n * totalRows) {
        out = new float[n * totalRows];
      }
    }

    /** Rows of all matrices in blocks of four, a contiguous range of blocks per part. */
    @Override
    public void run(int part, int parts) {
      int blocks = (totalRows + 3) / 4;
      int from = Math.min(totalRows, (int) ((long) blocks * part / parts) * 4);
      int to = Math.min(totalRows, (int) ((long) blocks * (part + 1) / parts) * 4);
      for (int k = 0; k < count && from < to; k++) {
        int lo = Math.max(from, firstRow[k]) - firstRow[k];
        int hi = Math.min(to, firstRow[k] + rows[k]) - firstRow[k];
        if (lo >= hi) {
          continue;
        }
        // Each matrix writes its own [n, rows] block of out, so the outputs are plain row-major.
        int base = n * firstRow[k];
        if (bf16[k]) {
          VectorKernels.bf16(w[k], in, xd, n, out, base, rows[k], lo, hi);
        } else {
          VectorKernels.f32(w[k], in, x, n, out, base, rows[k], lo, hi);
        }
      }
    }

    void finish(INDArray[] outs) {
      for (int k = 0; k < count; k++) {
        INDArray o = outs[k];
        FloatBuffer ob = o.data().asNioFloat();
        ob.put(Math.toIntExact(o.offset()), out, n * firstRow[k], n * rows[k]);
        w[k] = null;
      }
    }

    INDArray wide(int r, int c) {
      long need = (long) r * c;
      if (wide == null || wide.length() < need) {
        if (wide != null) {
          wide.close();
        }
        wide = Nd4j.create(DataType.FLOAT, need);
      }
      return Nd4j.create(wide.data(), new long[] {r, c});
    }
  }
}
