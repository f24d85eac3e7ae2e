package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Direct I/O leaves the checkpoint out of the page cache: reading every tensor of a file written
 * with direct I/O (so not cached) with {@link Storage#DIRECT} leaves almost none of it resident, as
 * {@code fincore} (util-linux) reports, while {@link Storage#MAPPED} brings it in. Skipped where
 * {@code fincore} is missing or the file system has no direct I/O. The test never drops the page
 * cache, which would disturb everything else on the machine.
 */
class PageCacheTest {
  private static final int TENSORS = 32;
  private static final int TENSOR_BYTES = 4 << 20; // 128 MiB in all

  @Test
  void directReadsLeaveTheFileOutOfThePageCache(@TempDir Path dir) throws Exception {
    Path file = TensorReaderTest.writeU8(dir, TENSORS, TENSOR_BYTES);
    long size = Files.size(file);
    // Written with direct I/O: nothing of it is cached yet, without dropping the whole page cache.
    Long before = resident(file);
    assumeTrue(before != null, "fincore is not available");
    assumeTrue(before < size / 20, "writing the file left " + before + " bytes in the page cache");
    try (Checkpoint cp = Checkpoint.open(dir)) {
      List<TensorInfo> all = new ArrayList<>();
      for (String name : cp.tensorNames()) {
        all.add(cp.tensor(name));
      }
      ByteBuffer dst = ByteBuffer.allocateDirect(TENSOR_BYTES);
      try (TensorReader r = TensorReaderTest.open(cp, Storage.DIRECT, 16 << 20)) {
        // Even tensors one by one, odd ones in batches of four.
        List<ByteBuffer> dsts = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          dsts.add(ByteBuffer.allocateDirect(TENSOR_BYTES));
        }
        for (int i = 0; i < all.size(); i += 8) {
          for (int k = 0; k < 4; k++) {
            r.readRaw(all.get(i + 2 * k), dst.clear());
            dsts.get(k).clear();
          }
          r.readRaw(List.of(all.get(i + 1), all.get(i + 3), all.get(i + 5), all.get(i + 7)), dsts);
        }
        assertTrue(r.bytesRead() >= size - 8 - 4096, () -> r.bytesRead() + " bytes read");
      }
      long afterDirect = resident(file);
      assertTrue(
          afterDirect < size / 20,
          () ->
              "direct reads of "
                  + size
                  + " bytes left "
                  + afterDirect
                  + " bytes in the page cache");
      try (TensorReader r = TensorReaderTest.open(cp, Storage.MAPPED, 0)) {
        for (TensorInfo t : all) {
          r.readRaw(t, dst.clear());
        }
      }
      long afterMapped = resident(file);
      assertTrue(
          afterMapped > size / 2,
          () -> "mapped reads left only " + afterMapped + " of " + size + " bytes cached");
    }
  }

  /** The file's bytes in the page cache, by {@code fincore}; null if it cannot be run. */
  private static Long resident(Path file) throws InterruptedException {
    try {
      Process p =
          new ProcessBuilder(
                  "fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return Long.parseLong(out);
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }
}
