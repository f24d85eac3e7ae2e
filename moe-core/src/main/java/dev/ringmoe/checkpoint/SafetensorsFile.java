package dev.ringmoe.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One open {@code .safetensors} file.
 *
 * <p>{@link #open} reads and validates only the header: every dtype is known, every byte range matches its dtype and
 * shape, lies inside the file and overlaps no other. Tensor data is read only on demand, by {@link #map} or
 * {@link #readFloat32}. All offsets and sizes are in bytes.
 *
 * <p>Thread-safe: any number of threads may map and read concurrently. The instance owns an open file channel and
 * every mapping it hands out; {@link #close()} (idempotent) releases both, after which the methods that touch data
 * throw {@link IllegalStateException}.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Bound on the header so that a corrupt length cannot make us allocate gigabytes. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final int CHUNK_BYTES = 1 << 20;
    private static final TypeAdapter<JsonElement> JSON = new Gson().getAdapter(JsonElement.class);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Path path;
    private final FileChannel channel;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> byName;
    private final List<TensorInfo> tensors;
    private final Object lock = new Object();
    // Guarded by lock. One mapping per tensor, shared through duplicates, so repeated map() calls cost nothing extra.
    private final Map<String, MappedByteBuffer> mappings = new HashMap<>();
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, String> metadata,
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
     * @throws CheckpointFormatException if the file is not a valid safetensors file (the message names the file, the
     *     tensor where relevant, and the problem)
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
            throw new CheckpointFormatException(file, null,
                    "file is " + size + " bytes, too short for the 8-byte header length (truncated?)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        // The length is an unsigned 64-bit number; negative here means above 2^63, far beyond any bound.
        if (n == 0) {
            throw new CheckpointFormatException(file, null, "header length is 0");
        }
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new CheckpointFormatException(file, null, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (8 + n > size) {
            throw new CheckpointFormatException(file, null,
                    "header length " + n + " past the end of the file (size " + size + ")");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(file, ch, headerBytes, 8);
        headerBytes.flip();
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(file, null, "header is not valid UTF-8", e);
        }
        long dataStart = 8 + n;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        Map<String, long[]> ranges = new HashMap<>();
        try (JsonReader reader = new JsonReader(new StringReader(headerText))) {
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new CheckpointFormatException(file, null, "header is not a JSON object");
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                JsonElement value = JSON.read(reader);
                if (name.equals("__metadata__")) {
                    parseMetadata(file, value, metadata);
                    continue;
                }
                if (byName.containsKey(name)) {
                    throw new CheckpointFormatException(file, name, "appears twice in the header");
                }
                long[] range = new long[2];
                TensorInfo info = parseTensor(file, name, value, dataStart, size, range);
                byName.put(name, info);
                ranges.put(name, range);
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new CheckpointFormatException(file, null, "header has data after the JSON object");
            }
        } catch (JsonParseException | IllegalStateException | IOException e) {
            if (e instanceof CheckpointFormatException) {
                throw (CheckpointFormatException) e;
            }
            // Gson reports syntax errors as MalformedJsonException (an IOException) or JsonParseException.
            // Gson's messages continue with troubleshooting links on later lines; the first names the position.
            String detail = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new CheckpointFormatException(file, null, "header is not valid JSON: " + detail, e);
        }
        checkOverlaps(file, ranges);
        return new SafetensorsFile(file, ch, metadata, byName);
    }

    private static void parseMetadata(Path file, JsonElement value, Map<String, String> out)
            throws CheckpointFormatException {
        if (!value.isJsonObject()) {
            throw new CheckpointFormatException(file, null, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new CheckpointFormatException(file, null,
                        "__metadata__ value of '" + e.getKey() + "' is not a string");
            }
            out.put(e.getKey(), v.getAsString());
        }
    }

    private static TensorInfo parseTensor(Path file, String name, JsonElement value, long dataStart, long fileSize,
            long[] rangeOut) throws CheckpointFormatException {
        if (!value.isJsonObject()) {
            throw new CheckpointFormatException(file, name, "header entry is not a JSON object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtypeEl = o.get("dtype");
        if (dtypeEl == null || !dtypeEl.isJsonPrimitive() || !dtypeEl.getAsJsonPrimitive().isString()) {
            throw new CheckpointFormatException(file, name, "missing or non-string 'dtype'");
        }
        DType dtype;
        try {
            dtype = DType.parse(dtypeEl.getAsString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(file, name, e.getMessage(), e);
        }
        long[] shape = longArray(file, name, o.get("shape"), "shape", -1);
        long[] offsets = longArray(file, name, o.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new CheckpointFormatException(file, name,
                    "data_offsets [" + begin + ", " + end + ") begin after end");
        }
        long elements = 1;
        long bytes;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(file, name,
                    "shape " + Arrays.toString(shape) + " of dtype " + dtype + " overflows a 64-bit byte size", e);
        }
        if (end - begin != bytes) {
            throw new CheckpointFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + ") do not match dtype " + dtype + " and shape " + Arrays.toString(shape) + " (" + bytes
                    + " bytes)");
        }
        // dataStart + end cannot overflow: dataStart <= fileSize is checked and the comparison below is written
        // as a subtraction.
        if (end > fileSize - dataStart) {
            throw new CheckpointFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + ") out of bounds: data ends at byte " + (dataStart + end) + " but the file has " + fileSize
                    + " bytes (truncated?)");
        }
        rangeOut[0] = begin;
        rangeOut[1] = end;
        return new TensorInfo(name, dtype, shape, elements, file, dataStart + begin);
    }

    private static long[] longArray(Path file, String tensor, JsonElement el, String field, int expectedLength)
            throws CheckpointFormatException {
        if (el == null || !el.isJsonArray()) {
            throw new CheckpointFormatException(file, tensor, "missing or non-array '" + field + "'");
        }
        JsonArray a = el.getAsJsonArray();
        if (expectedLength >= 0 && a.size() != expectedLength) {
            throw new CheckpointFormatException(file, tensor,
                    "'" + field + "' has " + a.size() + " entries, expected " + expectedLength);
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = a.get(i);
            long x = -1;
            if (v.isJsonPrimitive() && ((JsonPrimitive) v).isNumber()) {
                try {
                    x = new BigDecimal(v.getAsString()).longValueExact();
                } catch (ArithmeticException | NumberFormatException e) {
                    x = -1;
                }
            }
            if (x < 0) {
                throw new CheckpointFormatException(file, tensor,
                        "'" + field + "' entry " + v + " is not a non-negative 64-bit integer");
            }
            out[i] = x;
        }
        return out;
    }

    private static void checkOverlaps(Path file, Map<String, long[]> ranges) throws CheckpointFormatException {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>();
        for (Map.Entry<String, long[]> e : ranges.entrySet()) {
            // Empty tensors occupy no bytes, so they may sit anywhere, including inside another tensor's range.
            if (e.getValue()[1] > e.getValue()[0]) {
                sorted.add(e);
            }
        }
        sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0])
                .thenComparing(Map.Entry::getKey));
        for (int i = 1; i < sorted.size(); i++) {
            long[] prev = sorted.get(i - 1).getValue();
            long[] cur = sorted.get(i).getValue();
            if (cur[0] < prev[1]) {
                throw new CheckpointFormatException(file, sorted.get(i).getKey(), "data_offsets [" + cur[0] + ", "
                        + cur[1] + ") overlap tensor '" + sorted.get(i - 1).getKey() + "' at [" + prev[0] + ", "
                        + prev[1] + ")");
            }
        }
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long start = position - dst.position();
        while (dst.hasRemaining()) {
            int r = ch.read(dst, start + dst.position());
            if (r < 0) {
                throw new CheckpointFormatException(file, null,
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
     * A read-only, little-endian view of exactly the tensor's bytes, memory-mapped (position 0, limit = byte size).
     * Works at any offset in files of any size, but the tensor itself must be smaller than 2 GiB.
     *
     * <p>Each call returns an independent buffer over one shared mapping. The mapping is owned by this file: every
     * buffer returned becomes invalid when the file is closed, and touching it afterwards may crash the JVM.
     *
     * @throws IllegalArgumentException if the tensor is not from this file or is 2 GiB or larger (use
     *     {@link #readFloat32} for those)
     * @throws IllegalStateException if this file is closed
     */
    public ByteBuffer map(TensorInfo t) throws IOException {
        checkOwned(t);
        if (t.byteSize() >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(path + ": tensor '" + t.name() + "' is " + t.byteSize()
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
     * Reads a floating-point tensor, converted to float32, into {@code dst} starting at its position, and advances
     * the position by the element count. F32, F64, F16 and BF16 are supported; the conversion is exact except for
     * F64, which is rounded to nearest. Reads through the file channel in 1 MiB chunks, so tensors of any size work
     * and no mapping is created. If an exception is thrown, {@code dst} may have been partly written.
     *
     * @throws CheckpointFormatException if the dtype cannot be read as float32, or the file was truncated after open
     * @throws IllegalArgumentException if {@code dst.remaining()} is less than the element count, or the tensor is
     *     not from this file
     * @throws IllegalStateException if this file is closed
     */
    public void readFloat32(TensorInfo t, FloatBuffer dst) throws IOException {
        checkOwned(t);
        DType dtype = t.dtype();
        if (dtype != DType.F32 && dtype != DType.F64 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new CheckpointFormatException(path, t.name(), "dtype " + dtype + " cannot be read as float32");
        }
        if (dst.remaining() < t.elementCount()) {
            throw new IllegalArgumentException(path + ": tensor '" + t.name() + "' has " + t.elementCount()
                    + " elements but the destination has only " + dst.remaining() + " remaining");
        }
        ensureOpen();
        if (t.byteSize() <= Integer.MAX_VALUE && Unmapper.available()) {
            readMapped(t, dst);
            return;
        }
        Scratch s = SCRATCH.get();
        ByteBuffer bb = s.bytes;
        long pos = t.fileOffset();
        long left = t.byteSize();
        try {
            while (left > 0) {
                int n = (int) Math.min(CHUNK_BYTES, left);
                bb.clear().limit(n);
                while (bb.hasRemaining()) {
                    int r = channel.read(bb, pos + bb.position());
                    if (r < 0) {
                        throw new CheckpointFormatException(path, t.name(), "file ends at byte "
                                + (pos + bb.position()) + ", inside the tensor's data (truncated after open?)");
                    }
                }
                bb.flip();
                convert(dtype, bb, n / dtype.byteSize(), dst, s);
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
     * The fast path: maps the tensor's bytes for the duration of the call and converts straight from the mapping into
     * {@code dst} (no intermediate copies, unlike positional reads into a staging buffer), then unmaps, so the
     * file's pages do not stay in the process's resident memory.
     */
    private void readMapped(TensorInfo t, FloatBuffer dst) throws IOException {
        long end = t.fileOffset() + t.byteSize();
        long size = channel.size();
        if (size < end) {
            throw new CheckpointFormatException(path, t.name(), "file ends at byte " + size
                    + ", inside the tensor's data (truncated after open?)");
        }
        int count = Math.toIntExact(t.elementCount());
        MappedByteBuffer m;
        try {
            m = channel.map(FileChannel.MapMode.READ_ONLY, t.fileOffset(), t.byteSize());
        } catch (ClosedChannelException e) {
            if (closed) {
                throw new IllegalStateException(path + " is closed", e);
            }
            throw e;
        }
        try {
            m.order(ByteOrder.LITTLE_ENDIAN);
            int base = dst.position();
            switch (t.dtype()) {
                case F32:
                    dst.put(m.asFloatBuffer());
                    return;
                case BF16: {
                    ShortBuffer in = m.asShortBuffer();
                    for (int i = 0; i < count; i++) {
                        dst.put(base + i, Float.intBitsToFloat((in.get(i) & 0xFFFF) << 16));
                    }
                    break;
                }
                case F16: {
                    ShortBuffer in = m.asShortBuffer();
                    for (int i = 0; i < count; i++) {
                        dst.put(base + i, HalfFloats.f16ToFloat(in.get(i)));
                    }
                    break;
                }
                case F64: {
                    DoubleBuffer in = m.asDoubleBuffer();
                    for (int i = 0; i < count; i++) {
                        dst.put(base + i, (float) in.get(i));
                    }
                    break;
                }
                default:
                    throw new AssertionError(t.dtype());
            }
            dst.position(base + count);
        } catch (InternalError e) {
            // The JVM reports a fault on a mapped page (the file shrank under us) as an InternalError.
            throw new CheckpointFormatException(path, t.name(), "reading the tensor's data failed: the file changed"
                    + " after it was opened (" + e.getMessage() + ")");
        } finally {
            Unmapper.unmap(m);
        }
    }

    private static void convert(DType dtype, ByteBuffer bb, int count, FloatBuffer dst, Scratch s) {
        switch (dtype) {
            case F32:
                // Bulk copy: memcpy when the platform is little-endian.
                dst.put(bb.asFloatBuffer());
                break;
            case BF16: {
                ShortBuffer sb = bb.asShortBuffer();
                short[] in = s.shorts;
                float[] out = s.floats;
                sb.get(in, 0, count);
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat((in[i] & 0xFFFF) << 16);
                }
                dst.put(out, 0, count);
                break;
            }
            case F16: {
                ShortBuffer sb = bb.asShortBuffer();
                short[] in = s.shorts;
                float[] out = s.floats;
                sb.get(in, 0, count);
                for (int i = 0; i < count; i++) {
                    out[i] = HalfFloats.f16ToFloat(in[i]);
                }
                dst.put(out, 0, count);
                break;
            }
            case F64: {
                DoubleBuffer db = bb.asDoubleBuffer();
                double[] in = s.doubles;
                float[] out = s.floats;
                db.get(in, 0, count);
                for (int i = 0; i < count; i++) {
                    out[i] = (float) in[i];
                }
                dst.put(out, 0, count);
                break;
            }
            default:
                throw new AssertionError(dtype);
        }
    }

    private void checkOwned(TensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
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
        final short[] shorts = new short[CHUNK_BYTES / 2];
        final float[] floats = new float[CHUNK_BYTES / 2];
        final double[] doubles = new double[CHUNK_BYTES / 8];
    }
}
