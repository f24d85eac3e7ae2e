package dev.ringmoe.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the machine's memory read bandwidth: threads summing disjoint parts of off-heap buffers much larger than
 * the last-level cache, best of several passes. This is the roofline's numerator: a decode step that reads every
 * weight once cannot run faster than bandwidth divided by the bytes it reads.
 */
final class MemoryBandwidth {
  private MemoryBandwidth() {}

  /**
   * @param bytes total buffer size (use more than the last-level cache)
   * @return bytes per second
   */
  static double measure(long bytes, int threads, int passes) throws Exception {
    int chunk = 256 << 20;
    List<LongBuffer> buffers = new ArrayList<>();
    for (long done = 0; done < bytes; done += chunk) {
      ByteBuffer b = ByteBuffer.allocateDirect(chunk).order(ByteOrder.nativeOrder());
      LongBuffer l = b.asLongBuffer();
      for (int i = 0; i < l.capacity(); i += 512) {
        l.put(i, i);
      }
      buffers.add(l);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
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
          parts.add(pool.submit(() -> {
            long sum = 0;
            for (int i = id; i < buffers.size(); i += threads) {
              sum += sum(buffers.get(i));
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
        best = Math.max(best, (double) buffers.size() * chunk / seconds);
      }
      return best;
    } finally {
      pool.shutdownNow();
    }
  }

  private static long sum(LongBuffer b) {
    long s0 = 0;
    long s1 = 0;
    long s2 = 0;
    long s3 = 0;
    int n = b.capacity();
    for (int i = 0; i < n; i += 4) {
      s0 += b.get(i);
      s1 += b.get(i + 1);
      s2 += b.get(i + 2);
      s3 += b.get(i + 3);
    }
    return s0 + s1 + s2 + s3;
  }
}
