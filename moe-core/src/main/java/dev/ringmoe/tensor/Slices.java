package dev.ringmoe.tensor;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.CheckpointFormatException;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.Mxfp4;
import dev.ringmoe.checkpoint.RawFloats;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.manifest.StoredSlice;
import dev.ringmoe.manifest.TensorEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reading a manifest entry that is a {@link StoredSlice} of a checkpoint tensor: only the byte
 * range the slice spans is read, then its elements are gathered into the entry's row-major {@code
 * [rows, cols]} layout. BF16 into bfloat16 memory and MXFP4 into either type are exact bit copies
 * or decodes; other floating-point dtypes go through {@link RawFloats}. Stateless and thread-safe.
 */
final class Slices {
  private Slices() {}

  /** The stored tensors of {@code t} after checking their dtypes and shapes. */
  static TensorInfo[] check(Checkpoint checkpoint, TensorEntry t) throws CheckpointFormatException {
    StoredSlice s = t.slice();
    long[] shape = s.storedShape();
    if (s.encoding() == StoredSlice.Encoding.DENSE) {
      TensorInfo info = checkpoint.tensor(t.name());
      Tensors.checkShape(info, shape);
      return new TensorInfo[] {info};
    }
    long[] blocksShape = Arrays.copyOf(shape, shape.length + 1);
    blocksShape[shape.length - 1] = shape[shape.length - 1] / Mxfp4.BLOCK;
    blocksShape[shape.length] = Mxfp4.BLOCK_BYTES;
    long[] scalesShape = Arrays.copyOf(blocksShape, shape.length);
    TensorInfo blocks = checkpoint.tensor(t.name());
    TensorInfo scales = checkpoint.tensor(s.scales());
    requireU8(blocks, blocksShape, "MXFP4 blocks");
    requireU8(scales, scalesShape, "MXFP4 scales (E8M0)");
    return new TensorInfo[] {blocks, scales};
  }

  private static void requireU8(TensorInfo info, long[] shape, String what)
      throws CheckpointFormatException {
    if (info.dtype() != DType.U8) {
      throw new CheckpointFormatException(
          info.file(), info.name(), "dtype " + info.dtype() + " where " + what + " must be U8");
    }
    if (!Arrays.equals(info.shape(), shape)) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "shape "
              + Arrays.toString(info.shape())
              + " does not match the configuration, whose "
              + what
              + " are "
              + Arrays.toString(shape));
    }
  }

  /** The entry's values as float32, into {@code dst[0 .. elements)}. */
  static void readFloat32(Ranges ranges, Checkpoint checkpoint, TensorEntry t, float[] dst)
      throws IOException {
    read(ranges, checkpoint, t, FloatBuffer.wrap(dst), null);
  }

  /**
   * The entry's values into {@code memory} (FLOAT or BFLOAT16) from element {@code offset} on.
   *
   * @throws CheckpointFormatException if bfloat16 memory would need a value that is not exact in
   *     bfloat16 (an F32, F16 or F64 tensor)
   */
  static void read(
      Ranges ranges, Checkpoint checkpoint, TensorEntry t, INDArray memory, long offset)
      throws IOException {
    long n = t.elements();
    if (memory.dataType() == DataType.BFLOAT16) {
      read(ranges, checkpoint, t, null, Tensors.bytesAt(memory, offset, 2 * n).asShortBuffer());
    } else {
      FloatBuffer dst = memory.data().asNioFloat();
      dst.position(Math.toIntExact(memory.offset() + offset));
      read(ranges, checkpoint, t, dst.slice(), null);
    }
  }

  private static void read(
      Ranges ranges, Checkpoint checkpoint, TensorEntry t, FloatBuffer f, ShortBuffer bf16)
      throws IOException {
    TensorInfo[] infos = check(checkpoint, t);
    StoredSlice s = t.slice();
    long[] shape = t.shape();
    long rows = shape.length == 1 ? 1 : shape[0];
    long cols = shape[shape.length - 1];
    long[] span = span(t);
    if (infos.length == 2) {
      long[] blocks = blockSpan(span);
      Chunk packed = ranges.get(infos[0]);
      Chunk scales = ranges.get(infos[1]);
      int packedOffset = Math.toIntExact(blocks[0] * Mxfp4.BLOCK_BYTES - packed.start);
      int scalesOffset = Math.toIntExact(blocks[0] - scales.start);
      long base = blocks[0] * Mxfp4.BLOCK;
      int i = 0;
      for (long r = 0; r < rows; r++) {
        for (long c = 0; c < cols; c++, i++) {
          float v =
              Mxfp4.value(
                  packed.bytes, packedOffset, scales.bytes, scalesOffset, s.index(r, c) - base);
          if (bf16 != null) {
            bf16.put(i, (short) (Float.floatToRawIntBits(v) >>> 16));
          } else {
            f.put(i, v);
          }
        }
      }
      return;
    }
    TensorInfo info = infos[0];
    Chunk chunk = ranges.get(info);
    byte[] bytes = chunk.bytes;
    long start = chunk.start;
    int i = 0;
    if (bf16 != null) {
      if (info.dtype() != DType.BF16) {
        throw new CheckpointFormatException(
            info.file(),
            info.name(),
            "dtype " + info.dtype() + " where the model's weights are BF16 (a mixed checkpoint)");
      }
      ShortBuffer src = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
      for (long r = 0; r < rows; r++) {
        for (long c = 0; c < cols; c++, i++) {
          bf16.put(i, src.get((int) (s.index(r, c) - start)));
        }
      }
      return;
    }
    float[] values = new float[Math.toIntExact(bytes.length / info.dtype().byteSize())];
    RawFloats.toFloat32(
        info.dtype(),
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN),
        FloatBuffer.wrap(values),
        values.length);
    for (long r = 0; r < rows; r++) {
      for (long c = 0; c < cols; c++, i++) {
        f.put(i, values[(int) (s.index(r, c) - start)]);
      }
    }
  }

  /** Stored bytes from element {@code start} of a stored tensor on. */
  record Chunk(byte[] bytes, long start) {}

  /**
   * The stored ranges a group of sliced entries (one section) reads: each stored tensor is read
   * once, over the union of the elements its entries need, when the first of them is read, so gate
   * and up interleaved in one tensor cost one read. Not thread-safe; one per section copy.
   */
  static final class Ranges {
    private final TensorReader reader;
    private final Map<String, long[]> spans = new HashMap<>();
    private final Map<String, Chunk> read = new HashMap<>();
    private long bytesRead;

    Ranges(TensorReader reader, Checkpoint checkpoint, Iterable<TensorEntry> entries)
        throws CheckpointFormatException {
      this.reader = reader;
      for (TensorEntry t : entries) {
        if (t.slice() == null) {
          continue;
        }
        TensorInfo[] infos = check(checkpoint, t);
        long[] span = span(t);
        if (infos.length == 2) {
          long[] blocks = blockSpan(span);
          widen(t.name(), blocks[0] * Mxfp4.BLOCK_BYTES, blocks[1] * Mxfp4.BLOCK_BYTES);
          widen(t.slice().scales(), blocks[0], blocks[1]);
        } else {
          widen(t.name(), span[0], span[1]);
        }
      }
    }

    private void widen(String name, long start, long end) {
      long[] s = spans.get(name);
      if (s == null) {
        spans.put(name, new long[] {start, end});
      } else {
        s[0] = Math.min(s[0], start);
        s[1] = Math.max(s[1], end);
      }
    }

    /** The union range of {@code info} (a stored tensor this group's entries slice). */
    Chunk get(TensorInfo info) throws IOException {
      Chunk c = read.get(info.name());
      if (c == null) {
        long[] s = spans.get(info.name());
        TensorInfo range = info.range(s[0], s[1] - s[0]);
        byte[] bytes = new byte[Math.toIntExact(range.byteSize())];
        reader.readRaw(range, ByteBuffer.wrap(bytes));
        bytesRead += bytes.length;
        c = new Chunk(bytes, s[0]);
        read.put(info.name(), c);
      }
      return c;
    }

    /** Bytes read so far. */
    long bytesRead() {
      return bytesRead;
    }
  }

  private static long[] span(TensorEntry t) {
    long[] shape = t.shape();
    long rows = shape.length == 1 ? 1 : shape[0];
    long cols = shape[shape.length - 1];
    StoredSlice s = t.slice();
    return new long[] {s.spanStart(), s.spanEnd(rows, cols)};
  }

  /** The whole MXFP4 blocks a span of decoded elements touches: [first, end). */
  private static long[] blockSpan(long[] span) {
    return new long[] {span[0] / Mxfp4.BLOCK, (span[1] + Mxfp4.BLOCK - 1) / Mxfp4.BLOCK};
  }
}
