package dev.ringmoe.checkpoint;

import com.google.gson.JsonParseException;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One open {@code .safetensors} file.
 *
 * <p>{@link #open} reads and validates only the header, by the rules of the safetensors reference implementation
 * (the Rust crate {@code safetensors}) and, where noted, more strictly:
 * <ul>
 *   <li>the 8-byte little-endian header length is at most 100,000,000 and fits in the file;
 *   <li>the header is UTF-8 and one strict (RFC 8259) JSON object starting at its first byte ({@code '{'}); only
 *       whitespace may follow it (writers pad with spaces). Raw control characters in strings, unpaired surrogate
 *       escapes, comments, single quotes and NaN are refused;
 *   <li>no name appears twice: not {@code __metadata__}, not a tensor, not a key inside {@code __metadata__}, not a
 *       field inside a tensor entry (the reference keeps the last tensor or metadata key; RingMoE refuses);
 *   <li>{@code __metadata__}, if present, maps strings to strings;
 *   <li>every tensor has a known {@code dtype}, a {@code shape} and two {@code data_offsets}, all JSON integers
 *       written without sign, fraction or exponent ({@code 2.0} and {@code 2e0} are refused); the shape's byte size
 *       does not overflow and equals {@code end - begin};
 *   <li>the non-empty tensors' byte ranges, sorted by offset, tile the data section exactly: the first begins at 0,
 *       each begins where the previous ends (no gap, no overlap), and the last ends at the end of the file (no
 *       trailing bytes). Empty tensors may sit at any offset inside the data section (the reference wants them in
 *       sequence too).
 * </ul>
 * Every refusal is a {@link CheckpointFormatException} naming the file, the tensor where one is at fault, and the
 * rule. Tensor data is read only on demand, by {@link #map} or {@link #readFloat32}. All offsets and sizes are in
 * bytes.
 *
 * <p>Thread-safe: any number of threads may map and read concurrently. The instance owns an open file channel and
 * every mapping it hands out; {@link #close()} (idempotent) releases both, after which the methods that touch data
 * throw {@link IllegalStateException}.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Bound on the header so that a corrupt length cannot make us allocate gigabytes. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final int CHUNK_BYTES = 1 << 20;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private final Path path;
  private final FileChannel channel;
  private final Map<String, String> metadata;
  private final Map<String, TensorInfo> byName;
  private final List<TensorInfo> tensors;
  private final Object lock = new Object();
  // Guarded by lock. One mapping per tensor, shared through duplicates, so repeated map() calls
  // cost nothing extra.
  private final Map<String, MappedByteBuffer> mappings = new HashMap<>();
  private volatile boolean closed;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      Map<String, String> metadata,
      Map<String, TensorInfo> byName) {
    this.path = path;
    this.channel = channel;
    this.metadata = Collections.unmodifiableMap(metadata);
    this.byName = Collections.unmodifiableMap(byName);
    this.tensors = List.copyOf(byName.values());
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @throws CheckpointFormatException if the file is not a valid safetensors file (the message
   *     names the file, the tensor where relevant, and the problem)
   * @throws IOException if the file cannot be read
   */
  public static SafetensorsFile open(Path file) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return parse(file, ch);
    } catch (IOException | RuntimeException e) {
      try {
        ch.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static SafetensorsFile parse(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new CheckpointFormatException(
          file,
          null,
          "file is " + size + " bytes, too short for the 8-byte header length (truncated?)");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, ch, lenBuf, 0);
    long n = lenBuf.getLong(0);
    // The length is an unsigned 64-bit number; negative here means above 2^63, far beyond any
    // bound.
    if (n == 0) {
      throw new CheckpointFormatException(file, null, "header length is 0");
    }
    if (n < 0 || n > MAX_HEADER_BYTES) {
      throw new CheckpointFormatException(
          file,
          null,
          "header length "
              + Long.toUnsignedString(n)
              + " exceeds the limit of "
              + MAX_HEADER_BYTES
              + " bytes");
    }
    if (8 + n > size) {
      throw new CheckpointFormatException(
          file, null, "header length " + n + " past the end of the file (size " + size + ")");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
    readFully(file, ch, headerBytes, 8);
    headerBytes.flip();
    // As the reference (InvalidHeaderStart): the JSON object starts at the first byte. Only
    // trailing whitespace
    // (the writers' space padding) may follow it.
    byte first = headerBytes.get(0);
    if (first != '{') {
      throw new CheckpointFormatException(
          file,
          null,
          String.format(
              "header is not a JSON object starting"
                  + " at its first byte: it starts with byte 0x%02x, not '{' (wrong header length, or not"
                  + " safetensors?)",
              first & 0xFF));
    }
    StrictJson json = new StrictJson(file, "header");
    String headerText = json.decodeUtf8(headerBytes);
    long dataStart = 8 + n;
    long dataLength = size - dataStart;
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, TensorInfo> byName = new LinkedHashMap<>();
    Map<String, long[]> ranges = new HashMap<>();
    // Syntax first, so that a file that is not JSON is reported as such rather than by whichever
    // entry the
    // reading below reaches before the syntax error.
    json.checkSyntax(headerText);
    try {
      JsonReader reader = json.reader(headerText);
      reader.beginObject();
      boolean sawMetadata = false;
      while (reader.hasNext()) {
        String name = json.name(reader);
        if (name.equals("__metadata__")) {
          if (sawMetadata) {
            // The reference's serde derive refuses this ("duplicate field `__metadata__`").
            throw new CheckpointFormatException(
                file, null, "__metadata__ appears twice in the header");
          }
          sawMetadata = true;
          parseMetadata(file, json, reader, metadata);
          continue;
        }
        if (byName.containsKey(name)) {
          throw new CheckpointFormatException(file, name, "appears twice in the header");
        }
        long[] range = new long[2];
        TensorInfo info = parseTensor(file, json, name, reader, dataStart, dataLength, range);
        byName.put(name, info);
        ranges.put(name, range);
      }
      reader.endObject();
    } catch (JsonParseException | IllegalStateException | IOException e) {
      throw json.syntaxError(e);
    }
    checkLayout(file, ranges, dataLength);
    return new SafetensorsFile(file, ch, metadata, byName);
  }

  private static void parseMetadata(
      Path file, StrictJson json, JsonReader reader, Map<String, String> out) throws IOException {
    if (reader.peek() != JsonToken.BEGIN_OBJECT) {
      throw new CheckpointFormatException(file, null, "__metadata__ is not a JSON object");
    }
    reader.beginObject();
    while (reader.hasNext()) {
      String key = json.name(reader);
      if (out.containsKey(key)) {
        // serde_json would keep the last value; two values for one key is ambiguous, so refuse it.
        throw new CheckpointFormatException(
            file, null, "__metadata__ key '" + key + "' appears twice");
      }
      if (reader.peek() != JsonToken.STRING) {
        throw new CheckpointFormatException(
            file, null, "__metadata__ value of '" + key + "' is not a string");
      }
      out.put(key, json.string(reader));
    }
    reader.endObject();
  }

  private static TensorInfo parseTensor(
      Path file,
      StrictJson json,
      String name,
      JsonReader reader,
      long dataStart,
      long dataLength,
      long[] rangeOut)
      throws IOException {
    if (reader.peek() != JsonToken.BEGIN_OBJECT) {
      throw new CheckpointFormatException(file, name, "header entry is not a JSON object");
    }
    String dtypeName = null;
    long[] shape = null;
    long[] offsets = null;
    Set<String> seen = new HashSet<>();
    reader.beginObject();
    while (reader.hasNext()) {
      String field = json.name(reader);
      if (!seen.add(field)) {
        // The reference's serde derive refuses a duplicate field ("duplicate field `dtype`").
        throw new CheckpointFormatException(file, name, "field '" + field + "' appears twice");
      }
      switch (field) {
        case "dtype":
          if (reader.peek() != JsonToken.STRING) {
            throw new CheckpointFormatException(file, name, "missing or non-string 'dtype'");
          }
          dtypeName = json.string(reader);
          break;
        case "shape":
          shape = longArray(file, name, reader, "shape", -1);
          break;
        case "data_offsets":
          offsets = longArray(file, name, reader, "data_offsets", 2);
          break;
        default:
          // Unknown fields are ignored, as by the reference, but still read strictly.
          json.skip(reader, true);
      }
    }
    reader.endObject();
    if (dtypeName == null) {
      throw new CheckpointFormatException(file, name, "missing or non-string 'dtype'");
    }
    if (shape == null) {
      throw new CheckpointFormatException(file, name, "missing or non-array 'shape'");
    }
    if (offsets == null) {
      throw new CheckpointFormatException(file, name, "missing or non-array 'data_offsets'");
    }
    DType dtype;
    try {
      dtype = DType.parse(dtypeName);
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, name, e.getMessage(), e);
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end) {
      throw new CheckpointFormatException(
          file, name, "data_offsets [" + begin + ", " + end + ") begin after end");
    }
    long elements = 1;
    long bytes;
    try {
      for (long d : shape) {
        elements = Math.multiplyExact(elements, d);
      }
      bytes = Math.multiplyExact(elements, dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new CheckpointFormatException(
          file,
          name,
          "shape "
              + Arrays.toString(shape)
              + " of dtype "
              + dtype
              + " overflows a 64-bit byte size",
          e);
    }
    if (end - begin != bytes) {
      throw new CheckpointFormatException(
          file,
          name,
          "data_offsets ["
              + begin
              + ", "
              + end
              + ") do not match dtype "
              + dtype
              + " and shape "
              + Arrays.toString(shape)
              + " ("
              + bytes
              + " bytes)");
    }
    // Written as a comparison with the data length so that dataStart + end cannot overflow.
    if (end > dataLength) {
      throw new CheckpointFormatException(
          file,
          name,
          "data_offsets ["
              + begin
              + ", "
              + end
              + ") out of bounds: data ends at byte "
              + (dataStart + end)
              + " but the file has "
              + (dataStart + dataLength)
              + " bytes (truncated?)");
    }
    rangeOut[0] = begin;
    rangeOut[1] = end;
    return new TensorInfo(name, dtype, shape, elements, file, dataStart + begin);
  }

  private static long[] longArray(
      Path file, String tensor, JsonReader reader, String field, int expectedLength)
      throws IOException {
    if (reader.peek() != JsonToken.BEGIN_ARRAY) {
      throw new CheckpointFormatException(file, tensor, "missing or non-array '" + field + "'");
    }
    List<Long> values = new ArrayList<>();
    reader.beginArray();
    while (reader.hasNext()) {
      JsonToken token = reader.peek();
      if (token != JsonToken.NUMBER) {
        throw new CheckpointFormatException(
            file,
            tensor,
            "'"
                + field
                + "' entry at "
                + reader.getPath()
                + " is a JSON "
                + token.toString().toLowerCase(Locale.ROOT)
                + ", not a non-negative 64-bit integer");
      }
      // The literal as written: the reference reads these as usize, which refuses "2.0", "2e0" and
      // "-1", and
      // so does this (BigDecimal would quietly accept the first two).
      String literal = reader.nextString();
      long x = -1;
      if (isPlainInteger(literal)) {
        try {
          x = Long.parseLong(literal);
        } catch (NumberFormatException e) {
          x = -1; // above 2^63 - 1: no file is that large
        }
      }
      if (x < 0) {
        throw new CheckpointFormatException(
            file,
            tensor,
            "'"
                + field
                + "' entry "
                + literal
                + " is not a non-negative 64-bit integer (written without sign, fraction or exponent)");
      }
      values.add(x);
    }
    reader.endArray();
    if (expectedLength >= 0 && values.size() != expectedLength) {
      throw new CheckpointFormatException(
          file,
          tensor,
          "'" + field + "' has " + values.size() + " entries, expected " + expectedLength);
    }
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static boolean isPlainInteger(String literal) {
    if (literal.isEmpty()) {
      return false;
    }
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * The reference's layout rule (its {@code validate} and {@code MetadataIncompleteBuffer}): the
   * tensors' byte ranges, in offset order, tile the data section exactly: the first starts at 0,
   * each starts where the previous ends, and the last ends at the end of the file. A header length
   * a few bytes off (landing in the header's space padding, so the JSON still parses) shifts the
   * data section and is caught here as trailing or missing bytes.
   */
  private static void checkLayout(Path file, Map<String, long[]> ranges, long dataLength)
      throws CheckpointFormatException {
    List<Map.Entry<String, long[]>> sorted = new ArrayList<>();
    for (Map.Entry<String, long[]> e : ranges.entrySet()) {
      // Empty tensors occupy no bytes, so they may sit anywhere in the data section, including
      // inside another
      // tensor's range (the reference is stricter and wants them in sequence too).
      if (e.getValue()[1] > e.getValue()[0]) {
        sorted.add(e);
      }
    }
    sorted.sort(
        Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0])
            .thenComparing(Map.Entry::getKey));
    long expected = 0;
    String previous = null;
    long[] prev = null;
    for (Map.Entry<String, long[]> e : sorted) {
      long[] cur = e.getValue();
      if (cur[0] < expected) {
        throw new CheckpointFormatException(
            file,
            e.getKey(),
            "data_offsets ["
                + cur[0]
                + ", "
                + cur[1]
                + ") overlap tensor '"
                + previous
                + "' at ["
                + prev[0]
                + ", "
                + prev[1]
                + ")");
      }
      if (cur[0] > expected) {
        if (previous == null) {
          throw new CheckpointFormatException(
              file,
              e.getKey(),
              "data_offsets ["
                  + cur[0]
                  + ", "
                  + cur[1]
                  + ") leave a gap: the first tensor's data must start at offset 0, so bytes [0, "
                  + cur[0]
                  + ") of the data section belong to no tensor");
        }
        throw new CheckpointFormatException(
            file,
            e.getKey(),
            "data_offsets ["
                + cur[0]
                + ", "
                + cur[1]
                + ") leave a gap: tensor '"
                + previous
                + "' ends at "
                + expected
                + ", so bytes ["
                + expected
                + ", "
                + cur[0]
                + ") of the data section belong to no tensor");
      }
      expected = cur[1];
      previous = e.getKey();
      prev = cur;
    }
    // Offsets past the end were refused per tensor, so expected <= dataLength here.
    if (expected != dataLength) {
      long extra = dataLength - expected;
      throw new CheckpointFormatException(
          file,
          null,
          extra
              + (extra == 1 ? " trailing byte" : " trailing bytes")
              + ": the tensors' data ends at offset "
              + expected
              + " but the data section after the header has "
              + dataLength
              + " bytes (wrong header length, or data appended to the file)");
    }
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer dst, long position)
      throws IOException {
    long start = position - dst.position();
    while (dst.hasRemaining()) {
      int r = ch.read(dst, start + dst.position());
      if (r < 0) {
        throw new CheckpointFormatException(
            file,
            null,
            "unexpected end of file at byte " + (start + dst.position()) + " (truncated?)");
      }
    }
  }

  /** The file's path, as given to {@link #open}. */
  public Path path() {
    return path;
  }

  /** The header's {@code __metadata__} entries (empty if there are none); unmodifiable. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** All tensors, in the order the header lists them; unmodifiable. */
  public List<TensorInfo> tensors() {
    return tensors;
  }

  /** The tensor with this name, if the file has one. */
  public Optional<TensorInfo> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * The tensor with this name.
   *
   * @throws CheckpointFormatException naming the file and tensor if there is none
   */
  public TensorInfo tensor(String name) throws CheckpointFormatException {
    TensorInfo t = byName.get(name);
    if (t == null) {
      throw new CheckpointFormatException(path, name, "no such tensor in the file");
    }
    return t;
  }

  /**
   * A read-only, little-endian view of exactly the tensor's bytes, memory-mapped (position 0, limit
   * = byte size). Works at any offset in files of any size, but the tensor itself must be smaller
   * than 2 GiB.
   *
   * <p>Each call returns an independent buffer over one shared mapping. The mapping is owned by
   * this file: every buffer returned becomes invalid when the file is closed, and touching it
   * afterwards may crash the JVM.
   *
   * @throws IllegalArgumentException if the tensor is not from this file or is 2 GiB or larger (use
   *     {@link #readFloat32} for those)
   * @throws IllegalStateException if this file is closed
   */
  public ByteBuffer map(TensorInfo t) throws IOException {
    checkOwned(t);
    if (t.whole() != t) {
      // mappings are cached by name, so only whole tensors are mapped; ranges are read
      throw new IllegalArgumentException(
          path + ": tensor '" + t.name() + "': map the whole tensor, not a range of it");
    }
    if (t.byteSize() >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          path
              + ": tensor '"
              + t.name()
              + "' is "
              + t.byteSize()
              + " bytes, too large to map into one ByteBuffer; use readFloat32 to read it in chunks");
    }
    synchronized (lock) {
      ensureOpen();
      MappedByteBuffer m = mappings.get(t.name());
      if (m == null) {
        m = channel.map(FileChannel.MapMode.READ_ONLY, t.fileOffset(), t.byteSize());
        mappings.put(t.name(), m);
      }
      return m.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /**
   * Reads a floating-point tensor, converted to float32, into {@code dst} starting at its position,
   * and advances the position by the element count. F32, F64, F16 and BF16 are supported; the
   * conversion is exact except for F64, which is rounded to nearest. Reads through the file channel
   * in 1 MiB chunks, so tensors of any size work and no mapping is created. If an exception is
   * thrown, {@code dst} may have been partly written.
   *
   * @throws CheckpointFormatException if the dtype cannot be read as float32, or the file was
   *     truncated after open
   * @throws IllegalArgumentException if {@code dst.remaining()} is less than the element count, or
   *     the tensor is not from this file
   * @throws IllegalStateException if this file is closed
   */
  public void readFloat32(TensorInfo t, FloatBuffer dst) throws IOException {
    checkOwned(t);
    DType dtype = t.dtype();
    if (!RawFloats.convertible(dtype)) {
      throw new CheckpointFormatException(
          path, t.name(), "dtype " + dtype + " cannot be read as float32");
    }
    if (dst.remaining() < t.elementCount()) {
      throw new IllegalArgumentException(
          path
              + ": tensor '"
              + t.name()
              + "' has "
              + t.elementCount()
              + " elements but the destination has only "
              + dst.remaining()
              + " remaining");
    }
    ensureOpen();
    if (t.byteSize() <= Integer.MAX_VALUE && Unmapper.available()) {
      readMapped(t, dst);
      return;
    }
    ByteBuffer bb = SCRATCH.get().bytes;
    long pos = t.fileOffset();
    long left = t.byteSize();
    try {
      while (left > 0) {
        int n = (int) Math.min(CHUNK_BYTES, left);
        bb.clear().limit(n);
        while (bb.hasRemaining()) {
          int r = channel.read(bb, pos + bb.position());
          if (r < 0) {
            throw new CheckpointFormatException(
                path,
                t.name(),
                "file ends at byte "
                    + (pos + bb.position())
                    + ", inside the tensor's data (truncated after open?)");
          }
        }
        bb.flip();
        RawFloats.toFloat32(dtype, bb, dst, n / dtype.byteSize());
        pos += n;
        left -= n;
      }
    } catch (ClosedChannelException e) {
      if (closed) {
        throw new IllegalStateException(path + " is closed", e);
      }
      throw e;
    }
  }

  /**
   * The fast path: maps the tensor's bytes for the duration of the call and converts straight from
   * the mapping into {@code dst} (no intermediate copies, unlike positional reads into a staging
   * buffer), then unmaps, so the file's pages do not stay in the process's resident memory.
   */
  private void readMapped(TensorInfo t, FloatBuffer dst) throws IOException {
    int count = Math.toIntExact(t.elementCount());
    MappedByteBuffer m = mapForRead(t);
    try {
      RawFloats.toFloat32(t.dtype(), m, dst, count);
    } catch (InternalError e) {
      throw changedUnderUs(t, e);
    } finally {
      Unmapper.unmap(m);
    }
  }

  /**
   * Copies the tensor's raw bytes, as stored, into {@code dst} from its position and advances the
   * position by the byte size: through a mapping made for the call and unmapped after it where the
   * JVM can unmap, else through positional reads. Used by {@link MappedTensorReader}.
   *
   * @throws IllegalArgumentException if {@code dst} has fewer bytes remaining than the tensor, or
   *     the tensor is not from this file
   * @throws IllegalStateException if this file is closed
   */
  void readRaw(TensorInfo t, ByteBuffer dst) throws IOException {
    checkOwned(t);
    long bytes = t.byteSize();
    if (dst.remaining() < bytes) {
      throw new IllegalArgumentException(
          path
              + ": tensor '"
              + t.name()
              + "' has "
              + bytes
              + " bytes but the destination has only "
              + dst.remaining()
              + " remaining");
    }
    ensureOpen();
    if (bytes == 0) {
      return;
    }
    if (Unmapper.available()) {
      MappedByteBuffer m = mapForRead(t);
      try {
        dst.put(m);
      } catch (InternalError e) {
        throw changedUnderUs(t, e);
      } finally {
        Unmapper.unmap(m);
      }
      return;
    }
    ByteBuffer window = dst.duplicate();
    window.limit(window.position() + (int) bytes);
    long start = t.fileOffset() - window.position();
    try {
      while (window.hasRemaining()) {
        if (channel.read(window, start + window.position()) < 0) {
          throw new CheckpointFormatException(
              path,
              t.name(),
              "file ends at byte "
                  + (start + window.position())
                  + ", inside the tensor's data (truncated after open?)");
        }
      }
    } catch (ClosedChannelException e) {
      if (closed) {
        throw new IllegalStateException(path + " is closed", e);
      }
      throw e;
    }
    dst.position(window.position());
  }

  /** A read-only mapping of exactly the tensor's bytes, for one call; the caller unmaps it. */
  private MappedByteBuffer mapForRead(TensorInfo t) throws IOException {
    long end = t.fileOffset() + t.byteSize();
    long size = channel.size();
    if (size < end) {
      throw new CheckpointFormatException(
          path,
          t.name(),
          "file ends at byte " + size + ", inside the tensor's data (truncated after open?)");
    }
    try {
      return channel.map(FileChannel.MapMode.READ_ONLY, t.fileOffset(), t.byteSize());
    } catch (ClosedChannelException e) {
      if (closed) {
        throw new IllegalStateException(path + " is closed", e);
      }
      throw e;
    }
  }

  /** The JVM reports a fault on a mapped page (the file shrank under us) as an InternalError. */
  private CheckpointFormatException changedUnderUs(TensorInfo t, InternalError e) {
    return new CheckpointFormatException(
        path,
        t.name(),
        "reading the tensor's data failed: the file changed"
            + " after it was opened ("
            + e.getMessage()
            + ")");
  }

  private void checkOwned(TensorInfo t) {
    if (!t.whole().equals(byName.get(t.name()))) {
      throw new IllegalArgumentException("tensor " + t + " is not from " + path);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(path + " is closed");
    }
  }

  /** Closes the file and unmaps every buffer {@link #map} returned. Idempotent. */
  @Override
  public void close() throws IOException {
    List<MappedByteBuffer> toUnmap;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      toUnmap = new ArrayList<>(mappings.values());
      mappings.clear();
    }
    try {
      channel.close();
    } finally {
      for (MappedByteBuffer m : toUnmap) {
        Unmapper.unmap(m);
      }
    }
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
  }

  /** Per-thread conversion buffers, so reads allocate nothing after a thread's first one. */
  private static final class Scratch {
    final ByteBuffer bytes = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  }
}
