package dev.ringmoe.jmh;

import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code y = x · Wᵀ} for a weight {@code W} stored {@code [out, in]} row-major, as HF checkpoints
 * store linear layers, with {@code x} one row (a decode step) or 32 rows (a prefill chunk).
 *
 * <p>Why: decode time in a MoE model is almost all matrix-vector products over weights that are
 * read once per token, so what matters is how many weight bytes per second each way of calling ND4J
 * streams. The four ways compared are the ones the decoder could use:
 *
 * <ul>
 *   <li>{@link #gemmXWt}: {@code Nd4j.gemm(x, w, y, false, true, 1, 0)}, {@code x [rows, in]} times
 *       {@code Wᵀ};
 *   <li>{@link #gemmWx}: {@code Nd4j.gemm(w, xColumn, yColumn, false, false, 1, 0)}, {@code W}
 *       times {@code xᵀ [in, rows]}, giving {@code yᵀ [out, rows]};
 *   <li>{@link #mmuliTranspose}: {@code x.mmuli(w.transpose(), y)};
 *   <li>{@link #javaLoop}: a single-threaded plain-Java loop over {@code w.data().asNioFloat()},
 *       reading each row of {@code W} once for all rows of {@code x}.
 * </ul>
 *
 * <p>Shapes ({@code in x out}) are those of the benchmark model (hidden 512, intermediate 1792):
 * the expert gate/up projections (512x1792), the down projection (1792x512), the attention
 * projections (512x512), and one Mixtral-8x7B-sized expert projection (4096x14336, 235 MB) that
 * exceeds every cache and so measures DRAM.
 *
 * <p>Units: the score is ops/s, one op being one whole product. Weight bandwidth is {@code ops/s ×
 * in × out × 4 bytes}: for example 512x1792 is 3.67 MB per op and 4096x14336 is 234.9 MB per op.
 * The {@code x} and {@code y} traffic is at most 1/16 of that at 32 rows and is not counted.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatVecBenchmark {

  /** {@code in x out}. */
  @Param({"512x1792", "1792x512", "512x512", "4096x14336"})
  public String shape;

  /** Rows of {@code x}: 1 for a decode step, 32 for a prefill chunk. */
  @Param({"1", "32"})
  public int rows;

  private int in;
  private int out;
  private INDArray w;
  private INDArray x;
  private INDArray y;
  private INDArray xColumn;
  private INDArray yColumn;
  private INDArray wT;
  private FloatBuffer wBuffer;
  private float[][] xRows;
  private float[][] yRows;

  @Setup(Level.Trial)
  public void setUp() {
    String[] parts = shape.split("x");
    in = Integer.parseInt(parts[0]);
    out = Integer.parseInt(parts[1]);
    Nd4j.getRandom().setSeed(1);
    w = Nd4j.rand(DataType.FLOAT, out, in).subi(0.5f);
    x = Nd4j.rand(DataType.FLOAT, rows, in).subi(0.5f);
    y = Nd4j.create(DataType.FLOAT, rows, out);
    xColumn = x.transpose().dup('c');
    yColumn = Nd4j.create(DataType.FLOAT, out, rows);
    wT = w.transpose();
    wBuffer = w.data().asNioFloat();
    xRows = x.toFloatMatrix();
    yRows = new float[rows][out];
    checkAgreement();
  }

  /** Fails the trial if the four ways disagree, so that none of them measures a wrong product. */
  private void checkAgreement() {
    INDArray expected = x.mmul(w.transpose());
    gemmXWt();
    gemmWx();
    javaLoop();
    double tolerance = 1e-3 * Math.sqrt(in);
    check("gemmXWt", expected, y, tolerance);
    check("gemmWx", expected, yColumn.transpose(), tolerance);
    check("javaLoop", expected, Nd4j.createFromArray(yRows), tolerance);
    check("mmuliTranspose", expected, mmuliTranspose(), tolerance);
  }

  private static void check(String what, INDArray expected, INDArray actual, double tolerance) {
    double diff = expected.sub(actual).amaxNumber().doubleValue();
    if (!(diff <= tolerance)) {
      throw new IllegalStateException(what + " differs from x.mmul(w.transpose()) by " + diff);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (INDArray a : new INDArray[] {w, x, y, xColumn, yColumn}) {
      a.close();
    }
  }

  @Benchmark
  public INDArray gemmXWt() {
    return Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
  }

  @Benchmark
  public INDArray gemmWx() {
    return Nd4j.gemm(w, xColumn, yColumn, false, false, 1.0, 0.0);
  }

  @Benchmark
  public INDArray mmuliTranspose() {
    return x.mmuli(wT, y);
  }

  /**
   * Plain Java, one thread: for each output feature, one pass over its weight row, dotted with
   * every row of {@code x}. Four accumulators per dot product give the JIT independent additions
   * (it does not vectorize float reductions, whose order Java fixes).
   */
  @Benchmark
  public float[][] javaLoop() {
    FloatBuffer wb = wBuffer;
    int n = in;
    for (int o = 0; o < out; o++) {
      int base = o * n;
      for (int r = 0; r < rows; r++) {
        float[] xr = xRows[r];
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
          s0 += wb.get(base + i) * xr[i];
          s1 += wb.get(base + i + 1) * xr[i + 1];
          s2 += wb.get(base + i + 2) * xr[i + 2];
          s3 += wb.get(base + i + 3) * xr[i + 3];
        }
        for (; i < n; i++) {
          s0 += wb.get(base + i) * xr[i];
        }
        yRows[r][o] = (s0 + s1) + (s2 + s3);
      }
    }
    return yRows;
  }
}
