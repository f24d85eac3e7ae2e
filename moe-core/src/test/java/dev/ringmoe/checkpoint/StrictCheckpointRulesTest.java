package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 items 2 and 7 (index half): shards and indexes that used to load, or to fail with an
 * exception that named no file, and are now refused with a {@link CheckpointFormatException} naming
 * the file and the rule. Each case says what the code before the fix did with it.
 */
class StrictCheckpointRulesTest {
  @TempDir Path dir;

  private Path file(String name, long headerLength, byte[] header, int dataBytes)
      throws IOException {
    ByteBuffer b =
        ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLength).put(header);
    for (int i = 0; i < dataBytes; i++) {
      b.put((byte) i);
    }
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
    assertTrue(m.lines().count() == 1, "one line: " + m);
    return ex;
  }

  private static void opens(Path p) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      for (TensorInfo t : f.tensors()) {
        assertEquals(t.byteSize(), f.map(t).remaining());
      }
    }
  }

  private static void setHeaderLength(Path p, long n) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
      ch.write(b, 0);
    }
  }

  private static long headerLength(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, 0);
      return b.getLong(0);
    }
  }

  /**
   * What the reader before the fix checked: the header parses as JSON and every range fits in the
   * file. A header length that passes this was loaded, with every tensor read from a shifted
   * offset.
   */
  private static boolean oldReaderAccepted(Path p, long n) throws IOException {
    byte[] all = Files.readAllBytes(p);
    String text = new String(all, 8, (int) n, StandardCharsets.UTF_8);
    JsonObject header = JsonParser.parseString(text).getAsJsonObject();
    for (Map.Entry<String, JsonElement> e : header.entrySet()) {
      if (!e.getKey().equals("__metadata__")
          && e.getValue().getAsJsonObject().get("data_offsets").getAsJsonArray().get(1).getAsLong()
              > all.length - 8 - n) {
        return false;
      }
    }
    return true;
  }

  /**
   * The case: the real bf16 mixtral-tiny shard (6 bytes of space padding) with its header
   * length 1..6 bytes too small. The JSON still parses, so the old reader built the model from
   * shifted offsets (max logit error 6.9); the tensors now cover the data section exactly or the
   * file is refused.
   */
  @Test
  void headerLengthLandingInThePaddingIsRefused() throws IOException {
    Path p = dir.resolve("model.safetensors");
    Files.copy(
        ReferenceData.mixtralBf16().resolve("model.safetensors"),
        p,
        StandardCopyOption.REPLACE_EXISTING);
    opens(p);
    long n = headerLength(p);
    byte[] header = Arrays.copyOfRange(Files.readAllBytes(p), 8, 8 + (int) n);
    int padding = 0;
    while (header[header.length - 1 - padding] == ' ') {
      padding++;
    }
    assertEquals(6, padding, "the reference shard's header padding");
    for (int k = 1; k <= padding + 2; k++) {
      setHeaderLength(p, n - k);
      if (k <= padding) {
        assertTrue(
            oldReaderAccepted(p, n - k),
            "the old reader loaded it with the length " + k + " short");
        fails(
            () -> SafetensorsFile.open(p),
            p,
            null,
            k + (k == 1 ? " trailing byte:" : " trailing bytes:"),
            "wrong header length");
      } else {
        fails(() -> SafetensorsFile.open(p), p, null, "not valid JSON");
      }
    }
    for (int k = 1; k <= 8; k++) {
      setHeaderLength(p, n + k);
      fails(() -> SafetensorsFile.open(p), p, null);
    }
    setHeaderLength(p, n);
    opens(p);
  }

  /**
   * End to end, as the issue found it: the old reader built this model and its logits were off by
   * up to 6.9. Now the build is refused naming the shard; with the header length restored, the
   * logits match the reference.
   */
  @Test
  void modelFromAShiftedShardIsRefusedAndTheRepairedOneIsExact() throws IOException {
    Path ck = Files.createDirectory(dir.resolve("bf16"));
    try (var files = Files.list(ReferenceData.mixtralBf16())) {
      for (Path f : files.toList()) {
        Files.copy(f, ck.resolve(f.getFileName().toString()));
      }
    }
    Path shard = ck.resolve("model.safetensors");
    long n = headerLength(shard);
    setHeaderLength(shard, n - 2);
    fails(() -> MoeModel.builder().checkpoint(ck).build(), shard, null, "2 trailing bytes");
    setHeaderLength(shard, n);
    JsonObject ref =
        JsonParser.parseString(
                Files.readString(ReferenceData.mixtralTiny().resolve("reference.json")))
            .getAsJsonObject();
    int[] ids =
        ref.getAsJsonArray("input_ids").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    try (MoeModel model = MoeModel.builder().checkpoint(ck).build()) {
      double diff =
          ReferenceData.maxAbsDiff(
              model.logits(ids),
              ReferenceData.readFloats(
                  ReferenceData.mixtralTiny().resolve("logits_bf16_weights_f32_compute.f32")));
      assertTrue(diff < 1e-3, "max abs diff " + diff);
    }
  }

  /** The same on a shard of the sharded f32 checkpoint, through {@link Checkpoint#open}. */
  @Test
  void shardWithShortHeaderLengthFailsTheCheckpoint() throws IOException {
    Path src = ReferenceData.mixtralF32();
    Path ck = Files.createDirectory(dir.resolve("ck"));
    for (String f :
        List.of(
            "model.safetensors.index.json",
            "model-00001-of-00003.safetensors",
            "model-00002-of-00003.safetensors",
            "model-00003-of-00003.safetensors")) {
      Files.copy(src.resolve(f), ck.resolve(f));
    }
    Path shard = ck.resolve("model-00002-of-00003.safetensors");
    long n = headerLength(shard);
    setHeaderLength(shard, n - 3); // this header has 3 bytes of padding
    assertTrue(oldReaderAccepted(shard, n - 3));
    fails(() -> Checkpoint.open(ck), shard, null, "3 trailing bytes");
  }

  @Test
  void gapsBetweenTensorsAreRefused() throws IOException {
    // Old reader: loaded (only overlaps and bounds were checked).
    Path gap =
        file(
            "gap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[20,36]}}",
            36);
    fails(() -> SafetensorsFile.open(gap), gap, "b", "gap", "'a' ends at 16", "[16, 20)");
    Path first =
        file(
            "first.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}}",
            20);
    fails(() -> SafetensorsFile.open(first), first, "a", "gap", "must start at offset 0", "[0, 4)");
  }

  @Test
  void trailingBytesAfterTheLastTensorAreRefused() throws IOException {
    // Old reader: loaded, ignoring the 4 bytes.
    Path p =
        file(
            "trailing.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
            20);
    fails(
        () -> SafetensorsFile.open(p),
        p,
        null,
        "4 trailing bytes",
        "ends at offset 16",
        "has 20 bytes");
    Path none = file("none.safetensors", "{\"__metadata__\":{\"format\":\"pt\"}}", 3);
    fails(() -> SafetensorsFile.open(none), none, null, "3 trailing bytes");
    Path empty =
        file(
            "empty.safetensors",
            "{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
            1);
    fails(() -> SafetensorsFile.open(empty), empty, null, "1 trailing byte:");
    // no tensors and no data is a valid (empty) file, as in the reference
    opens(file("nothing.safetensors", "{}      ", 0));
  }

  @Test
  void overlapsAreStillRefused() throws IOException {
    Path p =
        file(
            "overlap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
            24);
    fails(() -> SafetensorsFile.open(p), p, "b", "overlap tensor 'a' at [0, 16)");
  }

  @Test
  void tensorsInAnyOrderAndPaddingStillLoad() throws IOException {
    Path p =
        file(
            "ok.safetensors",
            "{\"b\":{\"data_offsets\":[16,24],\"shape\":[2],\"dtype\":\"F32\",\"x\":[{}]},"
                + "\"__metadata__\":{\"k\":\"v\"},\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[24,24]},"
                + "\"a\":{\"dtype\":\"BF16\",\"shape\":[2,4],\"data_offsets\":[0,16]}} \t\r\n   ",
            24);
    try (SafetensorsFile f = SafetensorsFile.open(p)) {
      assertEquals(List.of("b", "z", "a"), f.tensors().stream().map(TensorInfo::name).toList());
      assertEquals(Map.of("k", "v"), f.metadata());
      assertArrayEquals(new long[] {2, 4}, f.tensor("a").shape());
    }
    // escaped control characters are valid JSON, and so are escaped surrogate pairs
    opens(
        file(
            "escaped.safetensors",
            "{\"a\\u0001\\ud83d\\ude00\":"
                + "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
            1));
  }

  @Test
  void duplicateMetadataIsRefused() throws IOException {
    String t = "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    // Old reader: both loaded, the second __metadata__ or key silently merged or winning.
    Path two =
        file(
            "twometa.safetensors",
            "{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{\"b\":\"2\"}," + t + "}",
            4);
    fails(() -> SafetensorsFile.open(two), two, null, "__metadata__ appears twice");
    Path key =
        file(
            "dupkey.safetensors",
            "{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"}," + t + "}",
            4);
    fails(() -> SafetensorsFile.open(key), key, null, "__metadata__ key 'format' appears twice");
  }

  @Test
  void duplicateFieldsInATensorEntryAreRefused() throws IOException {
    // Old reader: Gson kept the last value, so the second dtype won (I32 here).
    Path dtype =
        file(
            "dtype.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"dtype\":\"I32\"}}",
            4);
    fails(() -> SafetensorsFile.open(dtype), dtype, "w", "field 'dtype' appears twice");
    Path offsets =
        file(
            "offsets.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[4,8],\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(offsets), offsets, "w", "field 'data_offsets' appears twice");
    Path shape =
        file(
            "shape.safetensors",
            "{\"w\":{\"shape\":[2],\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(shape), shape, "w", "field 'shape' appears twice");
    Path unknown =
        file(
            "unknown.safetensors",
            "{\"w\":{\"x\":1,\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":2}}",
            4);
    fails(() -> SafetensorsFile.open(unknown), unknown, "w", "field 'x' appears twice");
    Path nested =
        file(
            "nested.safetensors",
            "{\"w\":{\"x\":{\"a\":1,\"a\":2},\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(nested), nested, null, "'a' twice", "$.w.x");
    Path tensor =
        file(
            "tensor.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            8);
    fails(() -> SafetensorsFile.open(tensor), tensor, "w", "appears twice in the header");
  }

  @Test
  void controlCharactersInStringsAreRefused() throws IOException {
    // Old reader: Gson's default (legacy) mode accepted raw control characters inside strings.
    for (char c : new char[] {0, 1, '\t', '\n', 0x1F}) {
      String name = "w" + c + "x";
      Path inName =
          file(
              "name" + (int) c + ".safetensors",
              "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4);
      fails(
          () -> SafetensorsFile.open(inName), inName, null, "not valid JSON", "control characters");
      Path inMeta =
          file(
              "meta" + (int) c + ".safetensors",
              "{\"__metadata__\":{\"format\":\"p"
                  + c
                  + "t\"},"
                  + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4);
      fails(
          () -> SafetensorsFile.open(inMeta), inMeta, null, "not valid JSON", "control characters");
    }
    Path surrogate =
        file(
            "surrogate.safetensors",
            "{\"w\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(surrogate), surrogate, null, "unpaired surrogate \\uD800");
    Path quote =
        file(
            "quote.safetensors",
            "{\"w\":{\"dtype\":'F32',\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(quote), quote, null, "not valid JSON");
  }

  @Test
  void headerMustStartWithTheObject() throws IOException {
    // Old reader: leading whitespace was skipped. The reference refuses it (InvalidHeaderStart).
    Path p =
        file(
            "lead.safetensors",
            " {\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(p), p, null, "not a JSON object", "0x20", "not '{'");
  }

  @Test
  void dimensionsAndOffsetsMustBeJsonIntegers() throws IOException {
    // Old reader: BigDecimal("2.0").longValueExact() accepted these as 2.
    for (String dim :
        List.of("2.0", "2e0", "2E0", "2e+0", "20e-1", "-0", "-2", "2.5", "18446744073709551616")) {
      Path p =
          file(
              "dim.safetensors",
              "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + dim + ",2]," + "\"data_offsets\":[0,16]}}",
              16);
      fails(
          () -> SafetensorsFile.open(p),
          p,
          "w",
          "'shape' entry " + dim,
          "is not a non-negative 64-bit integer");
    }
    for (String offsets : List.of("0,16.0", "0,1.6e1", "0.0,16", "-0,16")) {
      Path p =
          file(
              "off.safetensors",
              "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + offsets + "]}}",
              16);
      String bad =
          offsets.startsWith("0,")
              ? offsets.substring(2)
              : offsets.substring(0, offsets.indexOf(','));
      fails(() -> SafetensorsFile.open(p), p, "w", "'data_offsets' entry " + bad + " is not");
    }
    Path str =
        file(
            "str.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\",2],\"data_offsets\":[0,16]}}",
            16);
    fails(
        () -> SafetensorsFile.open(str),
        str,
        "w",
        "'shape' entry at $.w.shape[0] is a JSON string");
    Path nul =
        file(
            "null.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(nul), nul, "w", "is a JSON null");
    Path ovf =
        file(
            "ovf.safetensors",
            "{\"w\":{\"dtype\":\"F64\",\"shape\":[9223372036854775807,1],\"data_offsets\":[0,8]}}",
            8);
    fails(() -> SafetensorsFile.open(ovf), ovf, "w", "overflows");
    Path unknown =
        file(
            "unk.safetensors",
            "{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
            8);
    fails(() -> SafetensorsFile.open(unknown), unknown, "w", "unknown dtype 'C64'");
  }

  // ---- model.safetensors.index.json (item 7, index half) ----

  private Path sharded() throws IOException {
    Path ck = dir.resolve("ck");
    List<TensorSpec> specs =
        List.of(
            new TensorSpec("a", DType.F32, new long[] {4}),
            new TensorSpec("b", DType.F32, new long[] {4}),
            new TensorSpec("c", DType.F32, new long[] {4}));
    CheckpointWriter.write(ck, specs, 16, (s, first, dst, n) -> Arrays.fill(dst, 0, n, 1f));
    return ck;
  }

  private static String index(String a, String b, String c) {
    return "{\"metadata\": {\"total_size\": 48}, \"weight_map\": {\"a\": \""
        + a
        + "\", \"b\": \""
        + b
        + "\", \"c\": \""
        + c
        + "\"}}";
  }

  private static final String S1 = "model-00001-of-00003.safetensors";
  private static final String S2 = "model-00002-of-00003.safetensors";
  private static final String S3 = "model-00003-of-00003.safetensors";

  @Test
  void indexWithInvalidUtf8NamesTheIndex() throws IOException {
    Path ck = sharded();
    Path index = ck.resolve("model.safetensors.index.json");
    byte[] good = Files.readAllBytes(index);
    // Old reader: java.nio.charset.MalformedInputException: Input length = 1, naming no file.
    byte[] bad =
        index("x", S2, S3).replace("\"x\"", "\"\u00ff\"").getBytes(StandardCharsets.ISO_8859_1);
    Files.write(index, bad);
    int at = new String(bad, StandardCharsets.ISO_8859_1).indexOf('\u00ff');
    fails(() -> Checkpoint.open(ck), index, null, "not valid UTF-8", "at byte " + at);
    for (byte[] seq :
        List.of(
            new byte[] {(byte) 0xC3},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xC0, (byte) 0xAF},
            new byte[] {(byte) 0x80})) {
      byte[] b = Arrays.copyOf(good, good.length + seq.length);
      System.arraycopy(seq, 0, b, 1, seq.length);
      System.arraycopy(good, 1, b, 1 + seq.length, good.length - 1);
      Files.write(index, b);
      fails(() -> Checkpoint.open(ck), index, null, "not valid UTF-8", "at byte 1");
    }
    Files.write(index, good);
    try (Checkpoint c = Checkpoint.open(ck)) {
      assertEquals(3, c.tensorNames().size());
    }
  }

  @Test
  void shardNameWithNulOrControlCharacterNamesTheIndex() throws IOException {
    Path ck = sharded();
    Path index = ck.resolve("model.safetensors.index.json");
    // Old reader: java.nio.file.InvalidPathException: Nul character not allowed, unchecked and
    // naming no file.
    Files.writeString(index, index(S1, "model-00002\\u0000-of-00003.safetensors", S3));
    fails(
        () -> Checkpoint.open(ck),
        index,
        "b",
        "invalid shard name 'model-00002\\u0000-of-00003.safetensors'",
        "control character U+0000");
    Files.writeString(index, index(S1, S2, S3 + "\\u0000"));
    fails(() -> Checkpoint.open(ck), index, "c", "U+0000");
    Files.writeString(index, index(S1, "\\u001b[31m", S3));
    fails(() -> Checkpoint.open(ck), index, "b", "U+001B");
    // a raw (unescaped) NUL is not even valid JSON
    Files.writeString(index, index(S1, "x\u0000", S3));
    fails(() -> Checkpoint.open(ck), index, null, "not valid JSON", "control characters");
    for (String escape : List.of("../" + S2, "/" + S2, "..\\\\" + S2, "", ".", "..")) {
      Files.writeString(index, index(S1, escape, S3));
      fails(() -> Checkpoint.open(ck), index, "b", "invalid shard name");
    }
  }

  @Test
  void indexIsReadStrictly() throws IOException {
    Path ck = sharded();
    Path index = ck.resolve("model.safetensors.index.json");
    // Old reader: JsonParser is lenient, so comments, single quotes and a repeated tensor were
    // accepted.
    Files.writeString(index, "{\"weight_map\": {'a': \"" + S1 + "\"}}");
    fails(() -> Checkpoint.open(ck), index, null, "not valid JSON");
    Files.writeString(index, "// comment\n" + index(S1, S2, S3));
    fails(() -> Checkpoint.open(ck), index, null, "not valid JSON");
    Files.writeString(index, "{\"weight_map\": {\"a\": \"" + S1 + "\", \"a\": \"" + S2 + "\"}}");
    fails(() -> Checkpoint.open(ck), index, "a", "appears twice in weight_map");
    Files.writeString(
        index,
        "{\"weight_map\": {\"a\": \"" + S1 + "\"}, \"weight_map\": {\"b\": \"" + S2 + "\"}}");
    fails(() -> Checkpoint.open(ck), index, null, "'weight_map' twice");
    Files.writeString(index, "{\"weight_map\": {\"a\": 1}}");
    fails(() -> Checkpoint.open(ck), index, "a", "not a file name");
    Files.writeString(index, "[]");
    fails(() -> Checkpoint.open(ck), index, null, "weight_map");
    // Gson alone skips a byte order mark; serde_json and Python's json refuse it
    Files.writeString(index, "\ufeff" + index(S1, S2, S3));
    fails(() -> Checkpoint.open(ck), index, null, "byte order mark");
    // extra members and whitespace are fine; the index may name a subset of the shards' tensors
    Files.writeString(
        index, "\n {\"extra\": [1, {\"x\": null}], \"weight_map\": {\"b\": \"" + S2 + "\"}} \n");
    try (Checkpoint c = Checkpoint.open(ck)) {
      assertEquals(List.of("b"), List.copyOf(c.tensorNames()));
    }
  }
}
