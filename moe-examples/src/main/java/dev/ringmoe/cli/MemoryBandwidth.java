package dev.ringmoe.cli;

import dev.ringmoe.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Measures the machine's memory read bandwidth two ways over 1 GiB (more than the last-level
 * cache): threads summing disjoint parts of Java {@code long[]} arrays, and ND4J's matrix-vector
 * product over a 1 GiB float32 matrix (a memory-bound kernel that reads every byte once). The
 * roofline uses the higher of the two, so a decode step is compared with the best this machine
 * showed, not with a weak probe.
 */
final class MemoryBandwidth {
  /** Bytes per second: Java read loop, ND4J matrix-vector, and the higher of the two. */
  record Result(double javaRead, double nd4jGemv) {
    double best() {
      return Math.max(javaRead, nd4jGemv);
    }
  }

  private MemoryBandwidth() {}

  static Result measure(int threads, int passes) throws Exception {
    return new Result(javaRead(1L << 30, threads, passes), gemv(passes));
  }

  private static double javaRead(long bytes, int threads, int passes) throws Exception {
    int chunkLongs = 16 << 20; // 128 MiB per array
    List<long[]> arrays = new ArrayList<>();
    for (long done = 0; done < bytes; done += 8L * chunkLongs) {
      long[] a = new long[chunkLongs];
      for (int i = 0; i < a.length; i += 512) {
        a[i] = i;
      }
      arrays.add(a);
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "ringmoe-bandwidth");
              t.setDaemon(true);
              return t;
            });
    try {
      double best = 0;
      for (int pass = 0; pass < passes; pass++) {
        long start = System.nanoTime();
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          final int id = t;
          parts.add(
              pool.submit(
                  () -> {
                    long sum = 0;
                    for (int i = id; i < arrays.size(); i += threads) {
                      sum += sum(arrays.get(i));
                    }
                    return sum;
                  }));
        }
        long checksum = 0;
        for (Future<Long> f : parts) {
          checksum += f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (checksum == 42) {
          seconds += 1e-12; // keeps the sums observable
        }
        best = Math.max(best, 8.0 * chunkLongs * arrays.size() / seconds);
      }
      return best;
    } finally {
      pool.shutdownNow();
    }
  }

  private static long sum(long[] a) {
    long s0 = 0;
    long s1 = 0;
    long s2 = 0;
    long s3 = 0;
    for (int i = 0; i < a.length; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
    return s0 + s1 + s2 + s3;
  }

  private static double gemv(int passes) {
    int n = 16384; // 16384 x 16384 float32 = 1 GiB
    try (INDArray w = Tensors.matrix(n, n);
        INDArray x = Tensors.matrix(1, n);
        INDArray y = Tensors.matrix(1, n)) {
      w.assign(1.0f); // touch every page: untouched pages would all map to the zero page
      x.assign(1.0f);
      double best = 0;
      for (int pass = 0; pass < passes + 1; pass++) {
        long start = System.nanoTime();
        Tensors.linear(x, w, y);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (pass > 0) {
          best = Math.max(best, 4.0 * n * n / seconds);
        }
      }
      return best;
    }
  }
}
