package dev.ringmoe.hash.trace;

import com.google.common.base.Preconditions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Writes a routing trace sequence by sequence: a header, one record per sequence, and on {@link
 * #close()} an index of record offsets and a trailer. Only the offsets (8 bytes a sequence) stay in
 * memory. A file whose writer was not closed has no trailer, and {@link RoutingTraceReader} refuses
 * it as truncated.
 *
 * <p>Not thread-safe.
 */
public final class RoutingTraceWriter implements AutoCloseable {
  private final Path file;
  private final TraceHeader header;
  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
  private long position;
  private long[] offsets = new long[64];
  private int count;
  private boolean closed;

  private RoutingTraceWriter(Path file, TraceHeader header) throws IOException {
    this.file = file;
    this.header = header;
    this.channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    try {
      byte[] fingerprint = header.fingerprint().getBytes(StandardCharsets.UTF_8);
      Preconditions.checkArgument(
          fingerprint.length <= TraceFormat.MAX_FINGERPRINT_BYTES,
          "fingerprint longer than %s bytes",
          TraceFormat.MAX_FINGERPRINT_BYTES);
      buffer.put(TraceFormat.MAGIC);
      buffer.putInt(TraceFormat.VERSION);
      buffer.putInt(header.hidden());
      buffer.putInt(header.layers());
      buffer.putInt(header.experts());
      buffer.putInt(header.topK());
      buffer.putInt(header.hiddenStates() ? TraceFormat.FLAG_HIDDEN_STATES : 0);
      buffer.putInt(fingerprint.length);
      putBytes(fingerprint);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Creates (or replaces) {@code file} and writes the header. */
  public static RoutingTraceWriter create(Path file, TraceHeader header) throws IOException {
    return new RoutingTraceWriter(file, header);
  }

  public TraceHeader header() {
    return header;
  }

  public Path file() {
    return file;
  }

  /** Sequences written so far. */
  public int count() {
    return count;
  }

  /**
   * Appends {@code seq}; its shape must match the header (and carry hidden states when the header
   * says so).
   */
  public void write(TraceSequence seq) throws IOException {
    Preconditions.checkArgument(
        seq.hidden() == header.hidden()
            && seq.layers() == header.layers()
            && seq.experts() == header.experts(),
        "sequence shape does not match the trace header");
    write(seq.tokenIds(), seq.embeddings(), seq.routerLogits(), seq.hiddenBeforeMoe());
  }

  /**
   * Appends one sequence.
   *
   * @param tokenIds T token ids
   * @param embeddings [T][hidden]
   * @param routerLogits [T][layers][experts]
   * @param hiddenBeforeMoe [T][layers][hidden] when the header records hidden states, else ignored
   *     (may be null)
   */
  public void write(
      int[] tokenIds, float[] embeddings, float[] routerLogits, float[] hiddenBeforeMoe)
      throws IOException {
    Preconditions.checkState(!closed, "writer closed");
    int t = tokenIds.length;
    Preconditions.checkArgument(t > 0 && t <= TraceFormat.MAX_TOKENS, "token count %s", t);
    Preconditions.checkArgument(
        embeddings.length == t * header.hidden(), "embeddings length %s", embeddings.length);
    Preconditions.checkArgument(
        routerLogits.length == t * header.layers() * header.experts(),
        "router logits length %s",
        routerLogits.length);
    if (header.hiddenStates()) {
      Preconditions.checkArgument(
          hiddenBeforeMoe != null
              && hiddenBeforeMoe.length == t * header.layers() * header.hidden(),
          "the trace records hidden states: expected %s floats",
          t * header.layers() * header.hidden());
    }
    if (count == offsets.length) {
      offsets = Arrays.copyOf(offsets, count * 2);
    }
    offsets[count++] = position + buffer.position();
    ensure(8);
    buffer.putInt(TraceFormat.RECORD_TAG);
    buffer.putInt(t);
    for (int id : tokenIds) {
      ensure(4);
      buffer.putInt(id);
    }
    putFloats(embeddings);
    putFloats(routerLogits);
    if (header.hiddenStates()) {
      putFloats(hiddenBeforeMoe);
    }
  }

  /** Writes the index and trailer and closes the file. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      long indexOffset = position + buffer.position();
      ensure(12);
      buffer.putInt(TraceFormat.INDEX_TAG);
      buffer.putLong(count);
      for (int i = 0; i < count; i++) {
        ensure(8);
        buffer.putLong(offsets[i]);
      }
      ensure(TraceFormat.TRAILER_BYTES);
      buffer.putLong(indexOffset);
      buffer.put(TraceFormat.END_MAGIC);
      flush();
      channel.force(false);
    } finally {
      channel.close();
    }
  }

  private void putFloats(float[] values) throws IOException {
    int i = 0;
    while (i < values.length) {
      ensure(4);
      int n = Math.min(values.length - i, buffer.remaining() / 4);
      buffer.asFloatBuffer().put(values, i, n);
      buffer.position(buffer.position() + 4 * n);
      i += n;
    }
  }

  private void putBytes(byte[] bytes) throws IOException {
    int i = 0;
    while (i < bytes.length) {
      ensure(1);
      int n = Math.min(bytes.length - i, buffer.remaining());
      buffer.put(bytes, i, n);
      i += n;
    }
  }

  private void ensure(int bytes) throws IOException {
    if (buffer.remaining() < bytes) {
      flush();
    }
  }

  private void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      position += channel.write(buffer);
    }
    buffer.clear();
  }
}
