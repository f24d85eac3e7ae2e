package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class MalformedInputTest {
  @TempDir Path dir;

  private Path file(String name, long headerLength, byte[] header, int dataBytes)
      throws IOException {
    ByteBuffer b =
        ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLength).put(header);
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  private Path file(String name, String json, int dataBytes) throws IOException {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    return file(name, h.length, h, dataBytes);
  }

  private static CheckpointFormatException fails(
      Executable e, Path file, String tensor, String... problem) {
    CheckpointFormatException ex = assertThrows(CheckpointFormatException.class, e);
    String m = ex.getMessage();
    assertTrue(m.contains(file.toString()), "names the file: " + m);
    assertEquals(file, ex.file());
    if (tensor != null) {
      assertTrue(m.contains("'" + tensor + "'"), "names the tensor: " + m);
      assertEquals(tensor, ex.tensorName());
    } else {
      assertNull(ex.tensorName(), m);
    }
    for (String p : problem) {
      assertTrue(m.contains(p), "says '" + p + "': " + m);
    }
    return ex;
  }

  @Test
  void truncatedBeforeTheHeaderLength() throws IOException {
    Path p = dir.resolve("tiny.safetensors");
    Files.write(p, new byte[] {1, 2, 3});
    fails(() -> SafetensorsFile.open(p), p, null, "3 bytes", "too short");
  }

  @Test
  void headerLengthPastTheEnd() throws IOException {
    Path p = file("long.safetensors", 1000, "{}".getBytes(StandardCharsets.UTF_8), 0);
    fails(
        () -> SafetensorsFile.open(p),
        p,
        null,
        "header length 1000 past the end of the file (size 10)");
  }

  @Test
  void headerLengthZeroOrHuge() throws IOException {
    Path zero = file("zero.safetensors", 0, new byte[0], 16);
    fails(() -> SafetensorsFile.open(zero), zero, null, "header length is 0");
    Path huge = file("huge.safetensors", -1L, new byte[16], 0); // 2^64 - 1 unsigned
    fails(() -> SafetensorsFile.open(huge), huge, null, "18446744073709551615", "exceeds");
    Path big = file("big.safetensors", 200_000_000L, new byte[16], 0);
    fails(() -> SafetensorsFile.open(big), big, null, "200000000", "exceeds");
  }

  @Test
  void headerNotJson() throws IOException {
    Path p = file("notjson.safetensors", "{\"a\": [1, 2", 0);
    fails(() -> SafetensorsFile.open(p), p, null, "not valid JSON");
    Path arr = file("array.safetensors", "[1, 2]  ", 0);
    fails(() -> SafetensorsFile.open(arr), arr, null, "not a JSON object");
    Path trailing = file("trailing.safetensors", "{} {}", 0);
    fails(() -> SafetensorsFile.open(trailing), trailing, null, "not valid JSON");
    byte[] bad = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
    Path utf = file("utf.safetensors", bad.length, bad, 0);
    fails(() -> SafetensorsFile.open(utf), utf, null, "UTF-8");
  }

  @Test
  void unknownDtype() throws IOException {
    Path p =
        file(
            "dtype.safetensors",
            "{\"w\":{\"dtype\":\"F8_E8M0\",\"shape\":[4],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(p), p, "w", "unknown dtype 'F8_E8M0'");
    assertThrows(IllegalArgumentException.class, () -> DType.parse("f32"));
    assertEquals(DType.F8_E4M3, DType.parse("F8_E4M3"));
  }

  @Test
  void offsetsOutOfBounds() throws IOException {
    Path p =
        file(
            "oob.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
            20);
    fails(() -> SafetensorsFile.open(p), p, "w", "out of bounds");
  }

  @Test
  void truncatedData() throws IOException {
    // a valid header whose data was cut off right after it
    Path p =
        file(
            "cut.safetensors",
            "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}",
            0);
    fails(() -> SafetensorsFile.open(p), p, "w", "out of bounds", "truncated");
  }

  @Test
  void overlappingTensors() throws IOException {
    Path p =
        file(
            "overlap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
            16);
    CheckpointFormatException e = fails(() -> SafetensorsFile.open(p), p, "b", "overlap");
    assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    // empty tensors may share offsets with anything
    Path ok =
        file(
            "empty.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
            16);
    try (SafetensorsFile f = SafetensorsFile.open(ok)) {
      assertEquals(2, f.tensors().size());
      assertEquals(0, f.tensor("z").byteSize());
    }
  }

  @Test
  void sizeNotMatchingDtypeAndShape() throws IOException {
    Path p =
        file(
            "size.safetensors",
            "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[10,4],\"data_offsets\":[0,100]}}",
            160);
    fails(
        () -> SafetensorsFile.open(p),
        p,
        "model.embed_tokens.weight",
        "data_offsets [0, 100) do not match dtype F32 and shape [10, 4] (160 bytes)");
    Path ovf =
        file(
            "overflow.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}",
            16);
    fails(() -> SafetensorsFile.open(ovf), ovf, "w", "overflow");
    Path neg =
        file(
            "neg.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}",
            16);
    fails(() -> SafetensorsFile.open(neg), neg, "w", "shape");
    Path missing =
        file("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", 16);
    fails(() -> SafetensorsFile.open(missing), missing, "w", "'shape'");
  }

  @Test
  void beginAfterEnd() throws IOException {
    Path p =
        file(
            "order.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,8]}}",
            16);
    fails(() -> SafetensorsFile.open(p), p, "w", "[16, 8)", "begin after end");
  }

  @Test
  void missingTensorInAFile() throws IOException {
    Path p =
        file(
            "ok.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      fails(() -> f.tensor("nope"), p, "nope", "no such tensor");
      assertTrue(f.find("nope").isEmpty());
    }
  }

  private Path writeShardedCheckpoint(Path out) throws IOException {
    List<TensorSpec> specs =
        List.of(
            new TensorSpec("a", DType.F32, new long[] {4}),
            new TensorSpec("b", DType.F32, new long[] {4}),
            new TensorSpec("c", DType.F32, new long[] {4}));
    CheckpointWriter.write(
        out, specs, 16, (s, first, dst, n) -> java.util.Arrays.fill(dst, 0, n, 1f));
    return out;
  }

  @Test
  void missingShard() throws IOException {
    Path ck = writeShardedCheckpoint(dir.resolve("ck"));
    Files.delete(ck.resolve("model-00002-of-00003.safetensors"));
    fails(
        () -> Checkpoint.open(ck),
        ck.resolve("model.safetensors.index.json"),
        null,
        "missing shard model-00002-of-00003.safetensors named by model.safetensors.index.json");
  }

  @Test
  void indexNamesATensorAbsentFromItsShard() throws IOException {
    Path ck = writeShardedCheckpoint(dir.resolve("ck"));
    Path index = ck.resolve("model.safetensors.index.json");
    // claim that "c" lives in the first shard
    String json =
        Files.readString(index)
            .replace(
                "\"c\": \"model-00003-of-00003.safetensors\"",
                "\"c\": \"model-00001-of-00003.safetensors\"");
    Files.writeString(index, json);
    fails(
        () -> Checkpoint.open(ck),
        ck.resolve("model-00001-of-00003.safetensors"),
        "c",
        "absent from the shard");
  }

  @Test
  void malformedIndex() throws IOException {
    Path ck = writeShardedCheckpoint(dir.resolve("ck"));
    Path index = ck.resolve("model.safetensors.index.json");
    Files.writeString(index, "{\"weight_map\": {\"a\": \"../escape.safetensors\"}}");
    fails(() -> Checkpoint.open(ck), index, "a", "invalid shard name");
    Files.writeString(index, "{\"metadata\": {}}");
    fails(() -> Checkpoint.open(ck), index, null, "weight_map");
    Files.writeString(index, "{\"weight_map\": ");
    fails(() -> Checkpoint.open(ck), index, null, "not valid JSON");
  }

  @Test
  void corruptShardIsReportedWithItsName() throws IOException {
    Path ck = writeShardedCheckpoint(dir.resolve("ck"));
    Path shard = ck.resolve("model-00003-of-00003.safetensors");
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 1));
    fails(() -> Checkpoint.open(ck), shard, "c", "out of bounds");
  }

  @Test
  void directoryWithoutCheckpoint() throws IOException {
    Path empty = Files.createDirectory(dir.resolve("nothing"));
    fails(
        () -> Checkpoint.open(empty),
        empty,
        null,
        "no model.safetensors or model.safetensors.index.json in " + empty);
  }

  @Test
  void missingTensorInACheckpoint() throws IOException {
    Path ck = writeShardedCheckpoint(dir.resolve("ck"));
    try (Checkpoint c = Checkpoint.open(ck)) {
      assertEquals(Map.of("format", "pt"), c.fileOf(c.tensor("a")).metadata());
      fails(
          () -> c.tensor("model.missing.weight"),
          ck,
          "model.missing.weight",
          "checkpoint " + ck + " has no tensor 'model.missing.weight'");
    }
  }
}
