package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriterRoundTripTest {

  /**
   * Deterministic values per tensor and element, so the source and the check agree without storing
   * them.
   */
  private static float value(TensorSpec s, long i) {
    SplittableRandom r = new SplittableRandom(s.name().hashCode() * 1_000_003L + i);
    return (float) (r.nextGaussian() * 3);
  }

  private static float rounded(DType d, float v) {
    switch (d) {
      case F32:
        return v;
      case BF16:
        return HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v));
      case F16:
        return HalfFloats.f16ToFloat(HalfFloats.floatToF16(v));
      default:
        throw new AssertionError(d);
    }
  }

  private static final TensorSource SOURCE =
      (spec, first, dst, count) -> {
        for (int i = 0; i < count; i++) {
          dst[i] = value(spec, first + i);
        }
      };

  private static List<TensorSpec> specs() {
    return List.of(
        new TensorSpec("embed", DType.BF16, new long[] {300, 64}), // 38400 B
        new TensorSpec("layer0.q", DType.F32, new long[] {64, 64}), // 16384 B
        new TensorSpec("layer0.norm", DType.F16, new long[] {64}), // 128 B
        new TensorSpec("empty", DType.F32, new long[] {0, 4}), // 0 B
        new TensorSpec("layer1.big", DType.F32, new long[] {1_100_000}), // 4.4 MB: spans chunks
        new TensorSpec("layer1.h", DType.F16, new long[] {70_000}), // 140000 B
        new TensorSpec("scalar", DType.F32, new long[] {}), // 4 B
        new TensorSpec("head", DType.BF16, new long[] {100, 64})); // 12800 B
  }

  private static void assertContent(Checkpoint c, List<TensorSpec> specs) throws IOException {
    assertEquals(specs.size(), c.tensorNames().size());
    for (TensorSpec s : specs) {
      TensorInfo t = c.tensor(s.name());
      assertEquals(s.dtype(), t.dtype(), s.name());
      assertArrayEquals(s.shape(), t.shape(), s.name());
      FloatBuffer fb = FloatBuffer.allocate((int) t.elementCount());
      c.readFloat32(t, fb);
      float[] got = fb.array();
      for (int i = 0; i < got.length; i++) {
        float want = rounded(s.dtype(), value(s, i));
        if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got[i])) {
          throw new AssertionError(s.name() + "[" + i + "]: want " + want + ", got " + got[i]);
        }
      }
    }
  }

  @Test
  void shardedRoundTrip(@TempDir Path dir) throws IOException {
    List<TensorSpec> specs = specs();
    List<Long> progress = new ArrayList<>();
    List<Path> files = CheckpointWriter.write(dir, specs, 100_000, SOURCE, progress::add);

    // embed+q+norm+empty = 54912 <= 100000; big alone; h alone (4.4 MB shard is over); scalar+head
    // with h? no:
    // h (140000) > max, so it is alone, then scalar + head share the last shard.
    assertEquals(4, files.size());
    List<String> names = new ArrayList<>();
    for (Path f : files) {
      names.add(f.getFileName().toString());
    }
    assertEquals(
        List.of(
            "model-00001-of-00004.safetensors",
            "model-00002-of-00004.safetensors",
            "model-00003-of-00004.safetensors",
            "model-00004-of-00004.safetensors"),
        names);
    assertFalse(Files.exists(dir.resolve("model.safetensors")));

    long total = 0;
    for (TensorSpec s : specs) {
      total += s.byteSize();
    }
    for (int i = 1; i < progress.size(); i++) {
      assertTrue(progress.get(i) >= progress.get(i - 1), "progress is monotonic");
    }
    assertEquals(total, progress.get(progress.size() - 1));

    JsonObject index =
        JsonParser.parseString(Files.readString(dir.resolve("model.safetensors.index.json")))
            .getAsJsonObject();
    assertEquals(total, index.getAsJsonObject("metadata").get("total_size").getAsLong());
    JsonObject wm = index.getAsJsonObject("weight_map");
    Map<String, String> expected = new HashMap<>();
    expected.put("embed", names.get(0));
    expected.put("layer0.q", names.get(0));
    expected.put("layer0.norm", names.get(0));
    expected.put("empty", names.get(0));
    expected.put("layer1.big", names.get(1));
    expected.put("layer1.h", names.get(2));
    expected.put("scalar", names.get(3));
    expected.put("head", names.get(3));
    assertEquals(expected.size(), wm.size());
    expected.forEach((k, v) -> assertEquals(v, wm.get(k).getAsString(), k));

    try (Checkpoint c = Checkpoint.open(dir)) {
      assertEquals(total, c.totalBytes());
      assertContent(c, specs);
      SafetensorsFile first = c.fileOf(c.tensor("embed"));
      assertEquals(Map.of("format", "pt"), first.metadata());
      // header order is declaration order, and data is 8-byte aligned
      List<String> order = new ArrayList<>();
      for (TensorInfo t : first.tensors()) {
        order.add(t.name());
      }
      assertEquals(List.of("embed", "layer0.q", "layer0.norm", "empty"), order);
      long headerLen = readHeaderLength(first.path());
      assertEquals(0, headerLen % 8);
      assertEquals(Files.size(first.path()), 8 + headerLen + 38400 + 16384 + 128);
    }
  }

  @Test
  void singleShardWritesModelSafetensors(@TempDir Path dir) throws IOException {
    // a stale index from an earlier sharded write must not shadow the new file
    Files.writeString(dir.resolve("model.safetensors.index.json"), "{}");
    List<TensorSpec> specs = specs();
    List<Path> files = CheckpointWriter.write(dir, specs, Long.MAX_VALUE, SOURCE);
    assertEquals(List.of(dir.resolve("model.safetensors")), files);
    assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));
    Set<String> listing = new TreeSet<>();
    try (var s = Files.list(dir)) {
      s.forEach(p -> listing.add(p.getFileName().toString()));
    }
    assertEquals(Set.of("model.safetensors"), listing);
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertContent(c, specs);
    }
  }

  @Test
  void tensorLargerThanTheShardLimitGetsItsOwnShard() {
    List<TensorSpec> specs =
        List.of(
            new TensorSpec("a", DType.F32, new long[] {10}),
            new TensorSpec("b", DType.F32, new long[] {100}),
            new TensorSpec("c", DType.F32, new long[] {10}),
            new TensorSpec("d", DType.F32, new long[] {10}));
    List<List<TensorSpec>> plan = CheckpointWriter.plan(specs, 80);
    assertEquals(3, plan.size());
    assertEquals(List.of(specs.get(0)), plan.get(0));
    assertEquals(List.of(specs.get(1)), plan.get(1));
    assertEquals(List.of(specs.get(2), specs.get(3)), plan.get(2));
  }

  @Test
  void safetensorsWriterSpansTensorsAndChecksCompleteness(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("x.safetensors");
    List<TensorSpec> specs =
        List.of(
            new TensorSpec("a", DType.F16, new long[] {3}),
            new TensorSpec("b", DType.F32, new long[] {2}));
    try (SafetensorsWriter w = SafetensorsWriter.create(file, Map.of(), specs)) {
      w.write(new float[] {1, 2, 3, 4, 5}, 0, 5); // crosses from a into b in one call
      assertThrows(IllegalStateException.class, () -> w.write(new float[] {6}, 0, 1));
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(Map.of(), f.metadata());
      FloatBuffer fb = FloatBuffer.allocate(5);
      f.readFloat32(f.tensor("a"), fb);
      f.readFloat32(f.tensor("b"), fb);
      assertArrayEquals(new float[] {1, 2, 3, 4, 5}, fb.array());
    }

    SafetensorsWriter shortWriter =
        SafetensorsWriter.create(dir.resolve("short.safetensors"), Map.of(), specs);
    shortWriter.write(new float[] {1, 2, 3, 4}, 0, 4);
    IllegalStateException e = assertThrows(IllegalStateException.class, shortWriter::close);
    assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("1 of 2"), e.getMessage());
    shortWriter.close(); // idempotent after the failure

    assertThrows(
        IllegalArgumentException.class,
        () ->
            SafetensorsWriter.create(
                dir.resolve("i.safetensors"),
                Map.of(),
                List.of(new TensorSpec("i", DType.I32, new long[] {1}))));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SafetensorsWriter.create(
                dir.resolve("d.safetensors"),
                Map.of(),
                List.of(
                    new TensorSpec("a", DType.F32, new long[] {1}),
                    new TensorSpec("a", DType.F32, new long[] {1}))));
    assertThrows(
        IllegalArgumentException.class, () -> new TensorSpec("n", DType.F32, new long[] {-1}));
    assertThrows(
        IllegalArgumentException.class,
        () -> new TensorSpec("n", DType.F32, new long[] {Long.MAX_VALUE / 2, 3}));
  }

  private static long readHeaderLength(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, 0);
      return b.getLong(0);
    }
  }
}
