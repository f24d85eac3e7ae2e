package dev.ringmoe.checkpoint;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read throughput of the two storage tiers over a 1 GiB checkpoint from a cold page cache (needs
 * root to drop it). Not part of the build: run with {@code -Dringmoe.dio.bench=true}; the numbers
 * go to stdout.
 */
@EnabledIfSystemProperty(named = "ringmoe.dio.bench", matches = "true")
class DirectIoThroughputTest {
  private static final int TENSOR_BYTES = 4 << 20;
  private static final int TENSORS = 256;

  @Test
  void measure(@TempDir Path dir) throws Exception {
    Path file = TensorReaderTest.writeU8(dir, TENSORS, TENSOR_BYTES);
    long size = Files.size(file);
    try (Checkpoint cp = Checkpoint.open(dir)) {
      List<TensorInfo> all = new ArrayList<>();
      for (int i = 0; i < TENSORS; i++) {
        all.add(cp.tensor("t" + i));
      }
      List<ByteBuffer> dsts = new ArrayList<>();
      for (int k = 0; k < 16; k++) {
        dsts.add(ByteBuffer.allocateDirect(TENSOR_BYTES));
      }
      for (int round = 0; round < 2; round++) {
        time("mapped, cold, singly", size, () -> mappedSingly(cp, all, dsts.get(0)), true);
        time("mapped, warm, singly", size, () -> mappedSingly(cp, all, dsts.get(0)), false);
        for (int threads : new int[] {1, 2, 4}) {
          time(
              "direct, cold, singly, " + threads + " threads",
              size,
              () -> direct(cp, all, dsts, threads, 1),
              true);
          time(
              "direct, cold, batches of 16, " + threads + " threads",
              size,
              () -> direct(cp, all, dsts, threads, 16),
              true);
        }
      }
    }
  }

  private interface Body {
    void run() throws Exception;
  }

  private static void time(String what, long bytes, Body body, boolean cold) throws Exception {
    if (cold) {
      Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
    }
    long t0 = System.nanoTime();
    body.run();
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("%-40s %6.0f MB/s (%.2f s)%n", what, bytes / s / 1e6, s);
  }

  private static void mappedSingly(Checkpoint cp, List<TensorInfo> all, ByteBuffer dst)
      throws Exception {
    try (TensorReader r = cp.reader(Storage.MAPPED, 0)) {
      for (TensorInfo t : all) {
        r.readRaw(t, dst.clear());
      }
    }
  }

  private static void direct(
      Checkpoint cp, List<TensorInfo> all, List<ByteBuffer> dsts, int threads, int batch)
      throws Exception {
    try (TensorReader r =
        DirectTensorReader.open(
            cp,
            TensorReader.DEFAULT_STAGING_BYTES,
            DirectTensorReader.DEFAULT_BUFFER_BYTES,
            threads,
            DirectTensorReader.DEFAULT_COALESCE_GAP)) {
      for (int i = 0; i < all.size(); i += batch) {
        List<ByteBuffer> d = new ArrayList<>();
        for (int k = 0; k < batch; k++) {
          d.add(dsts.get(k).clear());
        }
        r.readRaw(all.subList(i, i + batch), d);
      }
    }
  }
}
