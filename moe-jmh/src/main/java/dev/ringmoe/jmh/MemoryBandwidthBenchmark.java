package dev.ringmoe.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sequential read bandwidth of off-heap memory: each op sums every long of 1 GiB held in four 256
 * MiB direct {@link ByteBuffer}s (native byte order, so no byte swapping), with 1 and with 2
 * threads.
 *
 * <p>Why: decode is bound by how fast weights stream from DRAM, so this is the ceiling against
 * which the matrix-vector and decode results are judged. 1 GiB is far larger than any cache.
 *
 * <p>Units: ops/s, one op being one pass over 1 GiB by one thread. JMH sums ops/s over threads, so
 * in both benchmarks the aggregate read bandwidth is {@code ops/s × 1.073741824 GB/s} (each of the
 * two threads reads the whole shared 1 GiB).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class MemoryBandwidthBenchmark {
  static final int CHUNKS = 4;
  static final int CHUNK_BYTES = 256 << 20;

  private LongBuffer[] chunks;

  @Setup(Level.Trial)
  public void setUp() {
    chunks = new LongBuffer[CHUNKS];
    for (int c = 0; c < CHUNKS; c++) {
      LongBuffer longs =
          ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
      for (int i = 0; i < longs.capacity(); i++) {
        longs.put(i, i * 0x9E3779B97F4A7C15L + c);
      }
      chunks[c] = longs;
    }
  }

  private long sumAll() {
    long s0 = 0;
    long s1 = 0;
    long s2 = 0;
    long s3 = 0;
    for (LongBuffer b : chunks) {
      int n = b.capacity();
      for (int i = 0; i < n; i += 4) {
        s0 += b.get(i);
        s1 += b.get(i + 1);
        s2 += b.get(i + 2);
        s3 += b.get(i + 3);
      }
    }
    return s0 + s1 + s2 + s3;
  }

  @Benchmark
  @Threads(1)
  public long oneThread() {
    return sumAll();
  }

  @Benchmark
  @Threads(2)
  public long twoThreads() {
    return sumAll();
  }
}
