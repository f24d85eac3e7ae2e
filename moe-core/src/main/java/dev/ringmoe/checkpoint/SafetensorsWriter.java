package dev.ringmoe.checkpoint;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Streams one safetensors file to disk in bounded memory (a 1 MiB buffer).
 *
 * <p>All tensors are declared up front, so the header (with every {@code data_offsets}, padded with
 * spaces to a multiple of 8 bytes as the reference implementation does) is written first. The
 * caller then passes float32 values through {@link #write}, in declaration order; the writer
 * converts them to each tensor's dtype (F32, F16 or BF16, rounding to nearest even) and moves on to
 * the next tensor when one is full. {@link #close()} checks that every tensor got all its elements.
 *
 * <p>Not thread-safe. The writer owns the file channel until {@link #close()}.
 */
public final class SafetensorsWriter implements AutoCloseable {
  private static final int BUFFER_BYTES = 1 << 20;
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private final Path path;
  private final List<TensorSpec> specs;
  private final FileChannel channel;
  private final ByteBuffer buffer =
      ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private int current;
  private long writtenInCurrent;
  private boolean closed;

  private SafetensorsWriter(Path path, List<TensorSpec> specs, FileChannel channel) {
    this.path = path;
    this.specs = specs;
    this.channel = channel;
  }

  /**
   * Creates (or truncates) {@code file} and writes its header.
   *
   * @param metadata the {@code __metadata__} entries (Hugging Face writes {@code {"format":
   *     "pt"}}); omitted from the header when empty
   * @param tensors every tensor the file will hold, in the order their data will be written
   * @throws IllegalArgumentException if a name repeats or a dtype is not F32, F16 or BF16
   */
  public static SafetensorsWriter create(
      Path file, Map<String, String> metadata, List<TensorSpec> tensors) throws IOException {
    List<TensorSpec> specs = List.copyOf(tensors);
    byte[] header = header(specs, metadata);
    FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    SafetensorsWriter w = new SafetensorsWriter(file, specs, ch);
    try {
      w.buffer.putLong(header.length);
      w.putBytes(header);
    } catch (IOException | RuntimeException e) {
      try {
        ch.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return w;
  }

  /** The header bytes (JSON plus padding, without the 8-byte length) for these tensors. */
  static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
    Objects.requireNonNull(metadata, "metadata");
    JsonObject root = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject md = new JsonObject();
      metadata.forEach(md::addProperty);
      root.add("__metadata__", md);
    }
    Set<String> names = new HashSet<>();
    long offset = 0;
    for (TensorSpec s : specs) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("tensor '" + s.name() + "' declared twice");
      }
      if (s.dtype() != DType.F32 && s.dtype() != DType.F16 && s.dtype() != DType.BF16) {
        throw new IllegalArgumentException(
            "tensor '"
                + s.name()
                + "': SafetensorsWriter writes F32, F16 and"
                + " BF16 only, not "
                + s.dtype());
      }
      JsonObject t = new JsonObject();
      t.addProperty("dtype", s.dtype().name());
      JsonArray shape = new JsonArray();
      for (long d : s.shape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset = Math.addExact(offset, s.byteSize());
      offsets.add(offset);
      t.add("data_offsets", offsets);
      root.add(s.name(), t);
    }
    byte[] json = GSON.toJson(root).getBytes(StandardCharsets.UTF_8);
    // Padding keeps the data 8-byte aligned in the file, so mapped buffers can be viewed as any
    // element type.
    int padded = (json.length + 7) & ~7;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      out[i] = ' ';
    }
    return out;
  }

  /** The file being written. */
  public Path path() {
    return path;
  }

  /**
   * Appends {@code values[offset .. offset + count - 1]}, converted to the dtype of the tensor(s)
   * they fall in.
   *
   * @throws IllegalStateException if that is more values than the declared tensors hold in total,
   *     or the writer is closed
   */
  public void write(float[] values, int offset, int count) throws IOException {
    Objects.checkFromIndexSize(offset, count, values.length);
    if (closed) {
      throw new IllegalStateException(path + " is closed");
    }
    while (count > 0) {
      skipFull();
      if (current == specs.size()) {
        throw new IllegalStateException(
            path + ": " + count + " values more than the declared tensors hold");
      }
      TensorSpec s = specs.get(current);
      int n = (int) Math.min(count, s.elementCount() - writtenInCurrent);
      encode(s.dtype(), values, offset, n);
      writtenInCurrent += n;
      offset += n;
      count -= n;
    }
  }

  private void skipFull() {
    while (current < specs.size() && writtenInCurrent == specs.get(current).elementCount()) {
      current++;
      writtenInCurrent = 0;
    }
  }

  private void encode(DType dtype, float[] values, int offset, int count) throws IOException {
    int size = dtype.byteSize();
    while (count > 0) {
      int m = Math.min(count, buffer.remaining() / size);
      if (m == 0) {
        flush();
        continue;
      }
      switch (dtype) {
        case F32:
          buffer.asFloatBuffer().put(values, offset, m);
          buffer.position(buffer.position() + 4 * m);
          break;
        case BF16:
          for (int i = 0; i < m; i++) {
            buffer.putShort(HalfFloats.floatToBf16(values[offset + i]));
          }
          break;
        case F16:
          for (int i = 0; i < m; i++) {
            buffer.putShort(HalfFloats.floatToF16(values[offset + i]));
          }
          break;
        default:
          throw new AssertionError(dtype);
      }
      offset += m;
      count -= m;
    }
  }

  private void putBytes(byte[] bytes) throws IOException {
    int off = 0;
    while (off < bytes.length) {
      if (!buffer.hasRemaining()) {
        flush();
      }
      int n = Math.min(buffer.remaining(), bytes.length - off);
      buffer.put(bytes, off, n);
      off += n;
    }
  }

  private void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  /**
   * Flushes and closes the file. Idempotent.
   *
   * @throws IllegalStateException naming the first tensor that did not receive all its elements
   *     (the file is closed anyway, and is then not a valid safetensors file)
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
    } finally {
      channel.close();
    }
    skipFull();
    if (current < specs.size()) {
      TensorSpec s = specs.get(current);
      throw new IllegalStateException(
          path
              + ": tensor '"
              + s.name()
              + "' is short: "
              + writtenInCurrent
              + " of "
              + s.elementCount()
              + " elements written");
    }
  }
}
