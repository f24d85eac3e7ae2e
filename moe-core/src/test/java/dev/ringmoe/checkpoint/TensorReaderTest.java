package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both {@link TensorReader}s against the file's own bytes. */
class TensorReaderTest {
  private static final TensorSource SOURCE =
      (spec, first, dst, n) -> {
        int salt = spec.name().hashCode();
        for (int i = 0; i < n; i++) {
          dst[i] = ((salt + first + i) % 1000) * 0.125f - 60f;
        }
      };

  /** Two shards of tensors whose sizes are not multiples of any block size, one empty. */
  private static List<TensorSpec> specs() {
    return List.of(
        new TensorSpec("a", DType.F32, new long[] {3, 1001}),
        new TensorSpec("b", DType.BF16, new long[] {7, 333}),
        new TensorSpec("empty", DType.F32, new long[] {0, 4}),
        new TensorSpec("c", DType.F16, new long[] {5000}),
        new TensorSpec("d", DType.F32, new long[] {17}),
        new TensorSpec("e", DType.F32, new long[] {64, 129}),
        new TensorSpec("f", DType.BF16, new long[] {1}));
  }

  private static Checkpoint write(Path dir) throws IOException {
    CheckpointWriter.write(dir, specs(), 40_000, SOURCE, null);
    return Checkpoint.open(dir);
  }

  private static byte[] expected(TensorInfo t) throws IOException {
    try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate((int) t.byteSize());
      while (b.hasRemaining()) {
        ch.read(b, t.fileOffset() + b.position());
      }
      return b.array();
    }
  }

  private static byte[] bytes(ByteBuffer b, int from, int length) {
    byte[] out = new byte[length];
    b.get(from, out);
    return out;
  }

  /** A reader, or the test skipped where this file system has no direct I/O. */
  static TensorReader open(Checkpoint cp, Storage storage, long staging) throws IOException {
    try {
      return TensorReader.open(cp, storage, staging);
    } catch (IOException e) {
      assumeTrue(
          e.getMessage() == null || !e.getMessage().contains("direct I/O (O_DIRECT) is not"),
          e::getMessage);
      throw e;
    }
  }

  private static TensorReader direct(Checkpoint cp, long staging, int buffer, long gap)
      throws IOException {
    try {
      return DirectTensorReader.open(cp, staging, buffer, 2, gap);
    } catch (IOException e) {
      assumeTrue(
          e.getMessage() == null || !e.getMessage().contains("direct I/O (O_DIRECT) is not"),
          e::getMessage);
      throw e;
    }
  }

  @ParameterizedTest
  @EnumSource(Storage.class)
  void readsEveryTensorAsStoredSinglyAndBatched(Storage storage, @TempDir Path dir)
      throws IOException {
    try (Checkpoint cp = write(dir);
        TensorReader r = open(cp, storage, 3 * 8192)) {
      assertTrue(cp.tensorNames().size() == 7 && r.stagingBytes() >= 0);
      List<TensorInfo> all = new ArrayList<>();
      List<ByteBuffer> dsts = new ArrayList<>();
      for (String name : cp.tensorNames()) {
        TensorInfo t = cp.tensor(name);
        byte[] want = expected(t);
        int n = want.length;
        // Heap and direct destinations, at a non-zero position.
        for (ByteBuffer dst :
            new ByteBuffer[] {ByteBuffer.allocate(n + 10), ByteBuffer.allocateDirect(n + 10)}) {
          dst.position(3);
          r.readRaw(t, dst);
          assertEquals(3 + n, dst.position(), name);
          assertArrayEquals(want, bytes(dst, 3, n), name);
        }
        all.add(t);
        ByteBuffer d = ByteBuffer.allocateDirect(n + 1);
        d.position(1);
        dsts.add(d);
      }
      r.readRaw(all, dsts);
      for (int i = 0; i < all.size(); i++) {
        int n = (int) all.get(i).byteSize();
        assertEquals(1 + n, dsts.get(i).position());
        assertArrayEquals(expected(all.get(i)), bytes(dsts.get(i), 1, n), all.get(i).name());
      }
      assertTrue(r.bytesRead() >= 3 * cp.totalBytes(), () -> r.bytesRead() + " bytes read");
      r.close();
      r.close();
      assertThrows(IllegalStateException.class, () -> r.readRaw(all.get(0), dsts.get(0).clear()));
    }
  }

  @Test
  void convertsRawBytesAsReadFloat32Does(@TempDir Path dir) throws IOException {
    try (Checkpoint cp = write(dir);
        TensorReader r = cp.reader(Storage.MAPPED, 0)) {
      for (String name : cp.tensorNames()) {
        TensorInfo t = cp.tensor(name);
        int n = (int) t.elementCount();
        FloatBuffer want = FloatBuffer.allocate(n);
        cp.readFloat32(t, want);
        ByteBuffer raw = ByteBuffer.allocate((int) t.byteSize() + 2).order(ByteOrder.BIG_ENDIAN);
        raw.position(2);
        r.readRaw(t, raw);
        raw.position(2);
        FloatBuffer got = ByteBuffer.allocateDirect(4 * n + 4).asFloatBuffer();
        got.position(1);
        RawFloats.toFloat32(t.dtype(), raw, got, n);
        assertEquals(raw.limit(), raw.position());
        assertEquals(1 + n, got.position());
        for (int i = 0; i < n; i++) {
          assertEquals(want.get(i), got.get(1 + i), name + "[" + i + "]");
        }
      }
      assertThrows(
          IllegalArgumentException.class,
          () -> RawFloats.toFloat32(DType.I32, ByteBuffer.allocate(4), FloatBuffer.allocate(1), 1));
      assertThrows(
          IllegalArgumentException.class,
          () -> RawFloats.toFloat32(DType.F32, ByteBuffer.allocate(7), FloatBuffer.allocate(2), 2));
    }
  }

  @Test
  void coalescingMergesAdjacentTensorsIntoFewerRequests(@TempDir Path dir) throws IOException {
    try (Checkpoint cp = write(dir);
        TensorReader r = direct(cp, 64L << 20, 4 << 20, DirectTensorReader.DEFAULT_COALESCE_GAP)) {
      List<TensorInfo> all = new ArrayList<>();
      List<ByteBuffer> dsts = new ArrayList<>();
      for (String name : cp.tensorNames()) {
        TensorInfo t = cp.tensor(name);
        all.add(t);
        dsts.add(ByteBuffer.allocate((int) t.byteSize()));
      }
      r.readRaw(all, dsts);
      long shards = all.stream().map(TensorInfo::file).distinct().count();
      // Every shard is far smaller than one buffer: one read per shard.
      assertEquals(shards, r.requests());
      assertTrue(r.requests() < all.size());
      for (int i = 0; i < all.size(); i++) {
        assertArrayEquals(expected(all.get(i)), dsts.get(i).array());
      }
      long before = r.requests();
      for (int i = 0; i < all.size(); i++) {
        r.readRaw(all.get(i), dsts.get(i).clear());
      }
      assertEquals(all.size() - 1, r.requests() - before, "one request per non-empty tensor");
    }
  }

  @Test
  void readsTensorsLargerThanTheStagingArea(@TempDir Path dir) throws IOException {
    try (Checkpoint cp = write(dir);
        DirectTensorReader r = (DirectTensorReader) direct(cp, 1, 1 << 20, 0)) {
      // One buffer of one block.
      assertEquals(r.alignment(), r.bufferBytes());
      assertEquals(2L * r.alignment(), r.stagingBytes());
      TensorInfo e = cp.tensor("e");
      ByteBuffer dst = ByteBuffer.allocate((int) e.byteSize());
      r.readRaw(e, dst);
      assertArrayEquals(expected(e), dst.array());
      assertTrue(r.requests() >= e.byteSize() / r.alignment(), () -> r.requests() + " requests");
      List<TensorInfo> all = new ArrayList<>();
      List<ByteBuffer> dsts = new ArrayList<>();
      for (String name : cp.tensorNames()) {
        all.add(cp.tensor(name));
        dsts.add(ByteBuffer.allocate((int) cp.tensor(name).byteSize()));
      }
      r.readRaw(all, dsts);
      for (int i = 0; i < all.size(); i++) {
        assertArrayEquals(expected(all.get(i)), dsts.get(i).array());
      }
    }
  }

  @Test
  void anInterruptEndsAReadWithAnException(@TempDir Path dir) throws IOException {
    List<TensorSpec> big = List.of(new TensorSpec("big", DType.F32, new long[] {2 << 20}));
    CheckpointWriter.write(dir, big, Long.MAX_VALUE, SOURCE, null);
    try (Checkpoint cp = Checkpoint.open(dir);
        TensorReader r = direct(cp, 4096, 4096, 0)) {
      TensorInfo t = cp.tensor("big");
      ByteBuffer dst = ByteBuffer.allocateDirect((int) t.byteSize());
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread reader =
          new Thread(
              () -> {
                try {
                  while (true) {
                    r.readRaw(t, dst.clear());
                  }
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      assertTimeoutPreemptively(
          Duration.ofSeconds(10),
          () -> {
            reader.start();
            while (r.requests() < 10) {
              Thread.onSpinWait();
            }
            reader.interrupt();
            reader.join();
          });
      assertInstanceOf(InterruptedIOException.class, failure.get());
      assertTrue(failure.get().getMessage().contains(t.file().toString()));
      // The reader is still usable: no channel was closed by the interrupt.
      r.readRaw(t, dst.clear());
      assertArrayEquals(expected(t), bytes(dst, 0, (int) t.byteSize()));
    }
  }

  @ParameterizedTest
  @EnumSource(Storage.class)
  void aFileTruncatedAfterOpenFailsNamingIt(Storage storage, @TempDir Path dir) throws IOException {
    try (Checkpoint cp = write(dir);
        TensorReader r = open(cp, storage, 1 << 20)) {
      TensorInfo e = cp.tensor("e");
      try (FileChannel ch = FileChannel.open(e.file(), StandardOpenOption.WRITE)) {
        ch.truncate(e.fileOffset() + e.byteSize() / 2);
      }
      ByteBuffer dst = ByteBuffer.allocate((int) e.byteSize());
      IOException x = assertThrows(IOException.class, () -> r.readRaw(e, dst));
      assertTrue(x.getMessage().contains(e.file().toString()), x.getMessage());
      assertTrue(x.getMessage().contains("truncated"), x.getMessage());
    }
  }

  /**
   * Where tmpfs has no direct I/O the refusal names the file and says so; where it has, the bytes
   * read are right.
   */
  @Test
  void aFileSystemWithoutDirectIoIsRefusedClearly() throws IOException {
    Path shm = Path.of("/dev/shm");
    assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no /dev/shm");
    Path dir = Files.createTempDirectory(shm, "ringmoe-dio");
    try {
      try (Checkpoint cp = write(dir)) {
        TensorReader r;
        try {
          r = DirectTensorReader.open(cp);
        } catch (IOException e) {
          assertTrue(
              e.getMessage().contains("direct I/O (O_DIRECT) is not supported"), e::getMessage);
          assertTrue(e.getMessage().contains(dir.toString()), e::getMessage);
          return;
        }
        try (r) {
          TensorInfo t = cp.tensor("a");
          ByteBuffer dst = ByteBuffer.allocate((int) t.byteSize());
          r.readRaw(t, dst);
          assertArrayEquals(expected(t), dst.array());
        }
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  @Test
  void refusesMismatchedBatchesAndShortDestinations(@TempDir Path dir) throws IOException {
    try (Checkpoint cp = write(dir);
        TensorReader r = direct(cp, 1 << 20, 1 << 20, 0)) {
      TensorInfo a = cp.tensor("a");
      assertThrows(IllegalArgumentException.class, () -> r.readRaw(List.of(a), List.of()));
      assertThrows(
          IllegalArgumentException.class,
          () -> r.readRaw(a, ByteBuffer.allocate((int) a.byteSize() - 1)));
      assertNotNull(r.toString());
    }
  }

  /**
   * A safetensors file of {@code count} U8 tensors of {@code size} bytes (a multiple of 4096),
   * written with direct I/O where the file system allows it, so that none of it is left in the page
   * cache (the header is padded with spaces to a multiple of 4096 bytes for that).
   */
  static Path writeU8(Path dir, int count, int size) throws IOException {
    if (size % 4096 != 0) {
      throw new IllegalArgumentException("size must be a multiple of 4096: " + size);
    }
    StringBuilder json = new StringBuilder("{");
    for (int i = 0; i < count; i++) {
      json.append(i == 0 ? "" : ",")
          .append("\"t")
          .append(i)
          .append("\":{\"dtype\":\"U8\",\"shape\":[")
          .append(size)
          .append("],\"data_offsets\":[")
          .append((long) i * size)
          .append(',')
          .append((long) (i + 1) * size)
          .append("]}");
    }
    json.append('}');
    while ((8 + json.length()) % 4096 != 0) {
      json.append(' ');
    }
    byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
    Files.createDirectories(dir);
    Path file = dir.resolve(Checkpoint.SINGLE_FILE);
    ByteBuffer block = ByteBuffer.allocateDirect((1 << 20) + 4096).alignedSlice(4096);
    block.limit(1 << 20);
    long seed = 0x9E3779B97F4A7C15L;
    while (block.hasRemaining()) {
      seed = seed * 6364136223846793005L + 1442695040888963407L;
      block.putLong(seed);
    }
    ByteBuffer h = ByteBuffer.allocateDirect(8 + header.length + 4096).alignedSlice(4096);
    h.order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header).flip();
    FileChannel opened;
    try {
      opened =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              com.sun.nio.file.ExtendedOpenOption.DIRECT);
    } catch (IOException | UnsupportedOperationException e) {
      Files.deleteIfExists(file);
      opened = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    try (FileChannel ch = opened) {
      while (h.hasRemaining()) {
        ch.write(h);
      }
      long left = (long) count * size;
      while (left > 0) {
        block.clear().limit((int) Math.min(block.capacity(), left));
        while (block.hasRemaining()) {
          left -= ch.write(block);
        }
      }
      ch.force(true);
    }
    return file;
  }
}
