package dev.ringmoe.jmh;

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
 * The same product, {@code Nd4j.gemm(x, w, y, false, true, 1, 0)} with {@code W [out, in]}, in two
 * forked JVMs that differ only in {@code -Dorg.bytedeco.javacpp.platform.extension}: {@link
 * #onednnBuild} loads nd4j-native's {@code linux-x86_64-onednn} build, {@link #defaultBuild} the
 * plain {@code linux-x86_64} build.
 *
 * <p>Why: the parent POM selects the oneDNN build on linux-x86_64 for speed (see the {@code
 * nd4j.native.extension} property). This measures that choice directly, and nothing else. Each fork
 * checks in its setup that the build it loaded is the one its name says, from {@code
 * NativeOps.buildInfo()}, and fails otherwise.
 *
 * <p>Units: ops/s, one op being one product; weight bandwidth is {@code ops/s × in × out × 4
 * bytes}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class NativeBuildBenchmark {

  /**
   * {@code in x out}: an expert projection of the benchmark model, and one larger than every cache.
   */
  @Param({"512x1792", "4096x14336"})
  public String shape;

  /** Rows of {@code x}: 1 for a decode step, 32 for a prefill chunk. */
  @Param({"1", "32"})
  public int rows;

  private INDArray w;
  private INDArray x;
  private INDArray y;

  @Setup(Level.Trial)
  public void setUp() throws ReflectiveOperationException {
    String extension = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
    Nd4j.getExecutioner(); // loads the backend, which NativeOpsHolder needs
    String info = buildInfo();
    boolean onednnLoaded = info.toUpperCase().contains("ONEDNN");
    System.out.println("platform.extension='" + extension + "', build has oneDNN: " + onednnLoaded);
    if (onednnLoaded != extension.contains("onednn")) {
      throw new IllegalStateException(
          "asked for extension '" + extension + "' but loaded a build whose info is: " + info);
    }
    String[] parts = shape.split("x");
    int in = Integer.parseInt(parts[0]);
    int out = Integer.parseInt(parts[1]);
    Nd4j.getRandom().setSeed(1);
    w = Nd4j.rand(DataType.FLOAT, out, in).subi(0.5f);
    x = Nd4j.rand(DataType.FLOAT, rows, in).subi(0.5f);
    y = Nd4j.create(DataType.FLOAT, rows, out);
  }

  /**
   * {@code NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo()}; nd4j-native-api is
   * runtime only.
   */
  private static String buildInfo() throws ReflectiveOperationException {
    Class<?> holder = Class.forName("org.nd4j.nativeblas.NativeOpsHolder");
    Object instance = holder.getMethod("getInstance").invoke(null);
    Object ops = holder.getMethod("getDeviceNativeOps").invoke(instance);
    return (String) ops.getClass().getMethod("buildInfo").invoke(ops);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    w.close();
    x.close();
    y.close();
  }

  @Benchmark
  @Fork(
      value = 1,
      jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN})
  public INDArray onednnBuild() {
    return Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
  }

  @Benchmark
  @Fork(
      value = 1,
      jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.DEFAULT_BUILD})
  public INDArray defaultBuild() {
    return Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
  }
}
