package dev.ringmoe.jmh;

import dev.ringmoe.tensor.Tensors;
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
 * The decoder's products as it runs them ({@link Tensors#linear}): float32 weights on oneDNN's
 * {@code gemm}, bfloat16 weights on the Java Vector API kernel, over enough distinct matrices
 * (about 1 GB of weights) that every product streams its weights from DRAM past the 480 MiB L3 of
 * the machine the numbers in docs/benchmarks.md §8 come from.
 *
 * <p>Score: products per second; weight bandwidth is {@code ops/s × in × out × 4 (f32) or 2
 * (bf16)}. Rows: 1 (a decode step) or 32 (a prefill chunk, an expert chosen by 32 tokens).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN, Jvm.VECTOR})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class LinearKernelBenchmark {
  /** {@code in x out}: the benchmark model's expert gate/up and down projections. */
  @Param({"512x1792", "1792x512"})
  public String shape;

  @Param({"FLOAT", "BFLOAT16"})
  public String weights;

  @Param({"1", "32"})
  public int rows;

  private INDArray[] ws;
  private INDArray x;
  private INDArray y;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    String[] parts = shape.split("x");
    int in = Integer.parseInt(parts[0]);
    int out = Integer.parseInt(parts[1]);
    DataType type = DataType.valueOf(weights);
    int count = (int) Math.max(1, 1_000_000_000L / ((long) in * out * type.width()));
    ws = new INDArray[count];
    for (int i = 0; i < count; i++) {
      INDArray f = Nd4j.rand(DataType.FLOAT, out, in);
      ws[i] = type == DataType.FLOAT ? f : f.castTo(type);
      if (ws[i] != f) {
        f.close();
      }
    }
    x = Nd4j.rand(DataType.FLOAT, rows, in);
    y = Nd4j.create(DataType.FLOAT, rows, out);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (INDArray w : ws) {
      w.close();
    }
    x.close();
    y.close();
  }

  @Benchmark
  public INDArray linear() {
    INDArray w = ws[next];
    next = next + 1 == ws.length ? 0 : next + 1;
    Tensors.linear(x, w, y);
    return y;
  }
}
