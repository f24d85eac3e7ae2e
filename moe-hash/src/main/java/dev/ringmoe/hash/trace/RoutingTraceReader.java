package dev.ringmoe.hash.trace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads a routing trace written by {@link RoutingTraceWriter}: iterates its sequences in order or
 * reads one by index. Opening validates the header, the trailer, the index and every record's tag
 * and length, and refuses a truncated or malformed file with a {@link TraceFormatException} naming
 * the file and the problem. Only the index is held in memory; each sequence is read from disk when
 * asked for.
 *
 * <p>Reads use positional I/O, so one reader may serve several threads.
 */
public final class RoutingTraceReader implements AutoCloseable, Iterable<TraceSequence> {
  private final Path file;
  private final FileChannel channel;
  private final TraceHeader header;
  private final long[] offsets;
  private final int[] lengths;

  private RoutingTraceReader(Path file) throws IOException {
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = channel.size();
      if (size < TraceFormat.FIXED_HEADER_BYTES) {
        throw fail(
            "truncated: "
                + size
                + " bytes, shorter than the "
                + TraceFormat.FIXED_HEADER_BYTES
                + "-byte header");
      }
      ByteBuffer fixed = read(0, TraceFormat.FIXED_HEADER_BYTES);
      byte[] magic = new byte[8];
      fixed.get(magic);
      if (!Arrays.equals(magic, TraceFormat.MAGIC)) {
        throw fail(
            "bad magic " + printable(magic) + ", not a routing trace (expected \"RMOETRCE\")");
      }
      int version = fixed.getInt();
      if (version != TraceFormat.VERSION) {
        throw fail(
            "unsupported version "
                + version
                + " (this reader reads version "
                + TraceFormat.VERSION
                + ")");
      }
      int hidden = fixed.getInt();
      int layers = fixed.getInt();
      int experts = fixed.getInt();
      int topK = fixed.getInt();
      int flags = fixed.getInt();
      int fingerprintBytes = fixed.getInt();
      if (hidden <= 0 || layers <= 0 || experts <= 0 || topK <= 0 || topK > experts) {
        throw fail(
            "bad dimensions hidden="
                + hidden
                + " layers="
                + layers
                + " experts="
                + experts
                + " topK="
                + topK);
      }
      if ((flags & ~TraceFormat.FLAG_HIDDEN_STATES) != 0) {
        throw fail("unknown flags 0x" + Integer.toHexString(flags));
      }
      if (fingerprintBytes < 0 || fingerprintBytes > TraceFormat.MAX_FINGERPRINT_BYTES) {
        throw fail("bad fingerprint length " + fingerprintBytes);
      }
      long dataStart = TraceFormat.FIXED_HEADER_BYTES + (long) fingerprintBytes;
      if (size < dataStart + TraceFormat.TRAILER_BYTES + 12) {
        throw fail("truncated: " + size + " bytes, too short for header, index and trailer");
      }
      ByteBuffer fp = read(TraceFormat.FIXED_HEADER_BYTES, fingerprintBytes);
      byte[] fpBytes = new byte[fingerprintBytes];
      fp.get(fpBytes);
      this.header =
          new TraceHeader(
              hidden,
              layers,
              experts,
              topK,
              new String(fpBytes, StandardCharsets.UTF_8),
              (flags & TraceFormat.FLAG_HIDDEN_STATES) != 0);

      ByteBuffer trailer = read(size - TraceFormat.TRAILER_BYTES, TraceFormat.TRAILER_BYTES);
      long indexOffset = trailer.getLong();
      byte[] end = new byte[8];
      trailer.get(end);
      if (!Arrays.equals(end, TraceFormat.END_MAGIC)) {
        throw fail(
            "truncated or not closed: no trailer (expected \"RMTREND1\" in the last 8 bytes)");
      }
      if (indexOffset < dataStart || indexOffset > size - TraceFormat.TRAILER_BYTES - 12) {
        throw fail("index offset " + indexOffset + " outside the file (" + size + " bytes)");
      }
      ByteBuffer indexHead = read(indexOffset, 12);
      if (indexHead.getInt() != TraceFormat.INDEX_TAG) {
        throw fail("no index tag \"IDX1\" at offset " + indexOffset);
      }
      long count = indexHead.getLong();
      if (count < 0 || indexOffset + 12 + 8 * count != size - TraceFormat.TRAILER_BYTES) {
        throw fail(
            "index of "
                + count
                + " sequences does not fit between offset "
                + indexOffset
                + " and the trailer");
      }
      ByteBuffer index = read(indexOffset + 12, (int) (8 * count));
      this.offsets = new long[(int) count];
      this.lengths = new int[(int) count];
      long expected = dataStart;
      for (int i = 0; i < count; i++) {
        long offset = index.getLong();
        if (offset != expected) {
          throw fail("sequence " + i + " at offset " + offset + ", expected " + expected);
        }
        ByteBuffer head = read(offset, 8);
        if (head.getInt() != TraceFormat.RECORD_TAG) {
          throw fail("sequence " + i + ": no record tag \"SEQ1\" at offset " + offset);
        }
        int tokens = head.getInt();
        if (tokens <= 0 || tokens > TraceFormat.MAX_TOKENS) {
          throw fail("sequence " + i + ": bad token count " + tokens);
        }
        offsets[i] = offset;
        lengths[i] = tokens;
        expected = offset + header.recordBytes(tokens);
        if (expected > indexOffset) {
          throw fail("sequence " + i + " runs past the index (truncated record)");
        }
      }
      if (expected != indexOffset) {
        throw fail((indexOffset - expected) + " unindexed bytes before the index");
      }
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Opens and validates {@code file}. */
  public static RoutingTraceReader open(Path file) throws IOException {
    return new RoutingTraceReader(file);
  }

  public Path file() {
    return file;
  }

  public TraceHeader header() {
    return header;
  }

  /** Number of sequences. */
  public int size() {
    return offsets.length;
  }

  /** Token count of sequence {@code index}, without reading it. */
  public int tokens(int index) {
    return lengths[index];
  }

  /** Reads sequence {@code index} (random access). */
  public TraceSequence read(int index) throws IOException {
    if (index < 0 || index >= offsets.length) {
      throw new IndexOutOfBoundsException(
          "sequence " + index + " of " + offsets.length + " in " + file);
    }
    int t = lengths[index];
    int h = header.hidden();
    int l = header.layers();
    int e = header.experts();
    ByteBuffer b = read(offsets[index] + 8, (int) (header.recordBytes(t) - 8));
    int[] ids = new int[t];
    b.asIntBuffer().get(ids);
    b.position(b.position() + 4 * t);
    float[] emb = floats(b, t * h);
    float[] logits = floats(b, t * l * e);
    float[] hidden = header.hiddenStates() ? floats(b, t * l * h) : null;
    return new TraceSequence(ids, emb, logits, hidden, h, l, e);
  }

  /** Iterates the sequences in order; I/O errors surface as {@link UncheckedIOException}. */
  @Override
  public Iterator<TraceSequence> iterator() {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < offsets.length;
      }

      @Override
      public TraceSequence next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        try {
          return read(next++);
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      }
    };
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private static float[] floats(ByteBuffer b, int n) {
    float[] out = new float[n];
    b.asFloatBuffer().get(out);
    b.position(b.position() + 4 * n);
    return out;
  }

  private ByteBuffer read(long offset, int bytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long at = offset;
    while (b.hasRemaining()) {
      int n = channel.read(b, at);
      if (n < 0) {
        throw fail(
            "truncated: end of file at offset "
                + at
                + " while reading "
                + bytes
                + " bytes at "
                + offset);
      }
      at += n;
    }
    return b.flip();
  }

  private TraceFormatException fail(String problem) {
    return new TraceFormatException(file, problem);
  }

  private static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder("\"");
    for (byte x : bytes) {
      sb.append(x >= 32 && x < 127 ? String.valueOf((char) x) : String.format("\\x%02x", x & 0xff));
    }
    return sb.append('"').toString();
  }
}
