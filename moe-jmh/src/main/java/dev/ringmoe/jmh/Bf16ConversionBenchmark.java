package dev.ringmoe.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.ShortPointer;
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
 * Converting bf16 weights to float32, as loading a bf16 checkpoint into F32 arrays requires: a
 * plain Java loop ({@code Float.intBitsToFloat(bits << 16)}) from a direct {@link ShortBuffer} into
 * a direct {@link FloatBuffer}, the same loop over heap arrays, and ND4J's {@code
 * castTo(DataType.FLOAT)} of a {@code BFLOAT16} array.
 *
 * <p>Why: it decides whether conversion should be done in Java or handed to ND4J, and whether it
 * costs anything next to reading the bytes from disk.
 *
 * <p>Units: ops/s, one op converting {@code size} values (16 M = 32 MiB in, 64 MiB out). Values per
 * second are {@code ops/s × size}; bytes read + written per second are {@code ops/s × size × 6}.
 * The ND4J result array is closed after each op so its native memory does not pile up; that close
 * is measured too.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class Bf16ConversionBenchmark {

  /** Values converted per op: 16 M. */
  @Param({"16777216"})
  public int size;

  private ShortBuffer bf16;
  private FloatBuffer f32;
  private short[] bf16Array;
  private float[] f32Array;
  private INDArray bf16Nd;

  @Setup(Level.Trial)
  public void setUp() {
    bf16 = ByteBuffer.allocateDirect(2 * size).order(ByteOrder.nativeOrder()).asShortBuffer();
    f32 = ByteBuffer.allocateDirect(4 * size).order(ByteOrder.nativeOrder()).asFloatBuffer();
    bf16Array = new short[size];
    f32Array = new float[size];
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < size; i++) {
      float v = (float) random.nextGaussian() * 0.02f;
      short bits = (short) (Float.floatToRawIntBits(v) >>> 16);
      bf16.put(i, bits);
      bf16Array[i] = bits;
    }
    bf16Nd = Nd4j.create(DataType.BFLOAT16, size);
    new ShortPointer(bf16Nd.data().addressPointer())
        .capacity(size)
        .asBuffer()
        .put(bf16.duplicate());
    INDArray check = bf16Nd.castTo(DataType.FLOAT);
    javaBuffers();
    for (int i = 0; i < size; i += 9973) {
      if (check.getFloat(i) != f32.get(i)) {
        throw new IllegalStateException(
            "ND4J and Java disagree at " + i + ": " + check.getFloat(i) + " vs " + f32.get(i));
      }
    }
    check.close();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    bf16Nd.close();
  }

  @Benchmark
  public FloatBuffer javaBuffers() {
    ShortBuffer src = bf16;
    FloatBuffer dst = f32;
    int n = size;
    for (int i = 0; i < n; i++) {
      dst.put(i, Float.intBitsToFloat(src.get(i) << 16));
    }
    return dst;
  }

  @Benchmark
  public float[] javaArrays() {
    short[] src = bf16Array;
    float[] dst = f32Array;
    for (int i = 0; i < src.length; i++) {
      dst[i] = Float.intBitsToFloat(src[i] << 16);
    }
    return dst;
  }

  @Benchmark
  public long nd4jCastTo() {
    INDArray f = bf16Nd.castTo(DataType.FLOAT);
    long length = f.length();
    f.close();
    return length;
  }
}
