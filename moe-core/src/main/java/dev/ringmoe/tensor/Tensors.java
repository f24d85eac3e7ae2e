package dev.ringmoe.tensor;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.CheckpointFormatException;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.Fp8E4m3;
import dev.ringmoe.checkpoint.MappedTensorReader;
import dev.ringmoe.checkpoint.RawFloats;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.StoredSlice;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.indexer.Bfloat16Indexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The few ND4J operations the decoder needs, written the way that is fast on ND4J: weights are
 * loaded as float32 (zero-copy over the memory-mapped file when the checkpoint already stores
 * float32), matrix products go through {@link Nd4j#gemm} into preallocated outputs, and
 * element-wise work happens in plain Java over bulk copies.
 *
 * <p>Stateless and thread-safe. Arrays returned by the {@code load} methods belong to the caller,
 * who must {@link INDArray#close() close} them; arrays over a mapping are valid only while the
 * checkpoint is open.
 */
public final class Tensors {
  /**
   * Whether ND4J runs on nd4j-native: told by the CUDA backend's absence from the class path, since
   * asking ND4J would load its native libraries (before {@code MoeModel.build()} has checked that
   * the JVM's native memory limits leave room for them and the weights).
   */
  private static final boolean CPU_BACKEND = !onClassPath("org.nd4j.linalg.jcublas.JCublasBackend");

  private Tensors() {}

  /**
   * Loads a checkpoint tensor as a float32 array of the expected shape.
   *
   * <p>F32 tensors smaller than 2 GiB are not copied: the array reads the memory-mapped file
   * directly. Other floating-point dtypes (BF16, F16, F64) are converted into a new native array.
   *
   * @param expectedShape the shape the model needs; a different shape in the checkpoint is a format
   *     error
   * @throws CheckpointFormatException naming the file and tensor if the shape or dtype does not fit
   */
  public static INDArray loadFloat32(Checkpoint checkpoint, String name, long... expectedShape)
      throws IOException {
    TensorInfo info = checkpoint.tensor(name);
    checkShape(info, expectedShape);
    if (info.dtype() == DType.F32 && info.byteSize() < Integer.MAX_VALUE) {
      return wrapMapped(checkpoint.map(info), expectedShape);
    }
    INDArray out = Nd4j.create(DataType.FLOAT, expectedShape);
    checkpoint.readFloat32(info, out.data().asNioFloat());
    return out;
  }

  /**
   * Loads a checkpoint tensor into a new native float32 array, always copying (also for F32): for
   * stores that must own their memory rather than read the mapped file.
   */
  public static INDArray loadFloat32Copy(Checkpoint checkpoint, String name, long... expectedShape)
      throws IOException {
    TensorInfo info = checkpoint.tensor(name);
    checkShape(info, expectedShape);
    INDArray out = Nd4j.create(DataType.FLOAT, expectedShape);
    try {
      checkpoint.readFloat32(info, out.data().asNioFloat());
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /**
   * The dtype a model's weight matrices are held and computed from: BFLOAT16 when every matrix the
   * manifest lists is stored as BF16 (read in place, half the bytes of float32), else FLOAT (F16,
   * F64 and mixed checkpoints are converted once, at load). Norms and biases are always float32
   * Java arrays. On a backend other than nd4j-native (CUDA) always FLOAT.
   */
  public static DataType weightType(Checkpoint checkpoint, WeightManifest manifest) {
    if (!CPU_BACKEND) {
      // The BF16 kernels read the arrays' host memory; other backends keep theirs on the device.
      return DataType.FLOAT;
    }
    boolean any = false;
    for (Section section : manifest.sections()) {
      for (TensorEntry t : section.tensors()) {
        if (t.onHeap()) {
          continue;
        }
        Optional<TensorInfo> info = checkpoint.find(t.name());
        if (info.isEmpty()) {
          continue;
        }
        if (t.slice() != null && t.slice().encoding() == StoredSlice.Encoding.MXFP4) {
          // every MXFP4 value is exact in bfloat16
          any = true;
          continue;
        }
        if (info.get().dtype() != DType.BF16) {
          return DataType.FLOAT;
        }
        any = true;
      }
    }
    return any ? DataType.BFLOAT16 : DataType.FLOAT;
  }

  /**
   * Loads a weight matrix in {@code type} (see {@link #weightType}) over the file mapping, without
   * a copy where the checkpoint stores it in that type: float32 as {@link #loadFloat32}; BFLOAT16
   * from a BF16 tensor (one of 2 GiB or more is read through a {@link MappedTensorReader}).
   */
  public static INDArray loadWeight(
      Checkpoint checkpoint, String name, DataType type, long... expectedShape) throws IOException {
    if (type == DataType.FLOAT) {
      return loadFloat32(checkpoint, name, expectedShape);
    }
    TensorInfo info = tensor(checkpoint, name, expectedShape);
    requireBf16(info);
    if (info.byteSize() >= Integer.MAX_VALUE) {
      try (TensorReader reader = new MappedTensorReader(checkpoint)) {
        return loadWeight(reader, checkpoint, name, type, expectedShape);
      }
    }
    ByteBuffer mapped = checkpoint.map(info);
    ShortPointer pointer = new ShortPointer(mapped.asShortBuffer());
    DataBuffer buffer =
        Nd4j.createBuffer(
            pointer, DataType.BFLOAT16, info.elementCount(), Bfloat16Indexer.create(pointer));
    return Nd4j.create(buffer, expectedShape);
  }

  /**
   * Loads a weight matrix in {@code type} into new native memory through {@code reader} (the
   * store's storage tier: with direct I/O nothing passes through the page cache): a tensor stored
   * in that type is read straight into the array, others are read as stored and converted to
   * float32.
   */
  public static INDArray loadWeight(
      TensorReader reader, Checkpoint checkpoint, String name, DataType type, long... expectedShape)
      throws IOException {
    TensorInfo info = tensor(checkpoint, name, expectedShape);
    if (type == DataType.BFLOAT16) {
      requireBf16(info);
    }
    INDArray out = Nd4j.create(type, expectedShape);
    try {
      if (storedAs(info, out)) {
        reader.readRaw(List.of(info), List.of(bytesAt(out, 0, info.byteSize())));
      } else {
        readConverted(reader, info, out.data().asNioFloat());
      }
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /**
   * Loads the weight matrix of a manifest entry in {@code type} into new native memory through
   * {@code reader}: a whole tensor as {@link #loadWeight(TensorReader, Checkpoint, String,
   * DataType, long...)}, a {@link StoredSlice} by reading only its range of the stored tensor.
   */
  public static INDArray loadEntry(
      TensorReader reader, Checkpoint checkpoint, TensorEntry t, DataType type) throws IOException {
    if (t.slice() == null) {
      return loadWeight(reader, checkpoint, t.name(), type, t.shape());
    }
    INDArray out = Nd4j.create(type, t.shape());
    try {
      Slices.read(new Slices.Ranges(reader, checkpoint, List.of(t)), checkpoint, t, out, 0);
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /** A manifest entry's vector (a norm weight, a bias) as float32, whole tensor or slice. */
  public static float[] loadEntryJava(TensorReader reader, Checkpoint checkpoint, TensorEntry t)
      throws IOException {
    if (t.slice() == null) {
      return loadJava(reader, checkpoint, t.name(), t.shape());
    }
    float[] out = new float[Math.toIntExact(t.elements())];
    Slices.readFloat32(new Slices.Ranges(reader, checkpoint, List.of(t)), checkpoint, t, out);
    return out;
  }

  /**
   * Reads the {@link StoredSlice} entries of one section (one expert) through {@code reader}, each
   * stored tensor once over the union of the ranges its entries need (gate and up interleaved in
   * one tensor: one read). Not thread-safe; one per section copy.
   */
  public static SliceReads sliceReads(
      TensorReader reader, Checkpoint checkpoint, Iterable<TensorEntry> entries)
      throws CheckpointFormatException {
    return new SliceReads(new Slices.Ranges(reader, checkpoint, entries), checkpoint);
  }

  /** The reads of one section's sliced entries ({@link #sliceReads}). */
  public static final class SliceReads {
    private final Slices.Ranges ranges;
    private final Checkpoint checkpoint;

    private SliceReads(Slices.Ranges ranges, Checkpoint checkpoint) {
      this.ranges = ranges;
      this.checkpoint = checkpoint;
    }

    /** The matrix entry {@code t} into {@code memory} from element {@code offset} on. */
    public void read(TensorEntry t, INDArray memory, long offset) throws IOException {
      Slices.read(ranges, checkpoint, t, memory, offset);
    }

    /** The matrix entry {@code t} in new native memory of {@code type}, owned by the caller. */
    public INDArray load(TensorEntry t, DataType type) throws IOException {
      INDArray out = Nd4j.create(type, t.shape());
      try {
        read(t, out, 0);
      } catch (IOException | RuntimeException e) {
        out.close();
        throw e;
      }
      return out;
    }

    /** The vector entry {@code t} as float32 into {@code dst}. */
    public void read(TensorEntry t, float[] dst) throws IOException {
      Slices.readFloat32(ranges, checkpoint, t, dst);
    }

    /** Bytes read from storage so far. */
    public long bytesRead() {
      return ranges.bytesRead();
    }
  }

  /** {@link #loadJava(Checkpoint, String, long...)} through {@code reader}. */
  public static float[] loadJava(
      TensorReader reader, Checkpoint checkpoint, String name, long... expectedShape)
      throws IOException {
    TensorInfo info = tensor(checkpoint, name, expectedShape);
    float[] out = new float[Math.toIntExact(info.elementCount())];
    readConverted(reader, info, FloatBuffer.wrap(out));
    return out;
  }

  /**
   * Reads {@code info} as stored through {@code reader} and converts it to float32 into {@code dst}
   * at its position.
   */
  public static void readConverted(TensorReader reader, TensorInfo info, FloatBuffer dst)
      throws IOException {
    ByteBuffer raw =
        ByteBuffer.allocate(Math.toIntExact(info.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    reader.readRaw(info, raw);
    raw.flip();
    RawFloats.toFloat32(info.dtype(), raw, dst, info.elementCount());
  }

  /**
   * Checks that {@code info}'s dtype is one its manifest entry allows: {@code F8_E4M3} only for an
   * entry with FP8 block scales ({@link TensorEntry#fp8Scale()}: the linear weights of a block-wise
   * FP8 checkpoint), {@code F8_E5M2} never.
   *
   * @throws CheckpointFormatException naming the file and tensor otherwise
   */
  public static void checkDtype(TensorEntry entry, TensorInfo info)
      throws CheckpointFormatException {
    if (info.dtype() == DType.F8_E4M3 && entry.fp8Scale() == null) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "dtype F8_E4M3 where the model expects an unquantized tensor"
              + " (FP8 is read only for the linear weights of a checkpoint whose config.json"
              + " declares quantization_config quant_method \"fp8\")");
    }
    if (info.dtype() == DType.F8_E5M2) {
      throw new CheckpointFormatException(
          info.file(), info.name(), "dtype F8_E5M2 is not supported (FP8 weights are E4M3)");
    }
  }

  /**
   * Loads an {@code F8_E4M3} matrix of {@code entry} into a new float32 array, dequantized with its
   * block scales ({@link #readDequantized}); the caller owns it.
   *
   * @param reader the storage tier to read through, or {@code null} for the file mapping
   */
  public static INDArray loadDequantized(
      Checkpoint checkpoint, TensorReader reader, TensorEntry entry, TensorInfo info)
      throws IOException {
    INDArray out = Nd4j.create(DataType.FLOAT, entry.shape());
    try {
      readDequantized(checkpoint, reader, entry, info, out.data().asNioFloat());
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /**
   * Reads the {@code F8_E4M3} weight {@code info} of {@code entry} into {@code dst} (at its
   * position) as float32: each value times its block's scale from the F32 tensor {@link
   * TensorEntry.Fp8Scale#name()} (found through the index, in whichever shard holds it), of shape
   * [ceil(rows / blockRows), ceil(cols / blockCols)].
   *
   * @param reader the storage tier to read through, or {@code null} for the file mapping
   * @throws CheckpointFormatException naming the tensor if the scales are missing, not F32, of the
   *     wrong shape or not finite positive numbers, or a weight byte is the NaN encoding
   */
  public static void readDequantized(
      Checkpoint checkpoint,
      TensorReader reader,
      TensorEntry entry,
      TensorInfo info,
      FloatBuffer dst)
      throws IOException {
    TensorEntry.Fp8Scale scale = entry.fp8Scale();
    checkDtype(entry, info);
    long[] shape = info.shape();
    if (scale == null || info.dtype() != DType.F8_E4M3 || shape.length != 2) {
      throw new IllegalArgumentException(info.name() + " is not an FP8 matrix with block scales");
    }
    int rows = Math.toIntExact(shape[0]);
    int cols = Math.toIntExact(shape[1]);
    long[] scaleShape = {
      (rows + scale.blockRows() - 1) / scale.blockRows(),
      (cols + scale.blockCols() - 1) / scale.blockCols()
    };
    Optional<TensorInfo> found = checkpoint.find(scale.name());
    if (found.isEmpty()) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "is F8_E4M3 but its block scales '" + scale.name() + "' are not in the checkpoint");
    }
    TensorInfo s = found.get();
    if (s.dtype() != DType.F32) {
      throw new CheckpointFormatException(
          s.file(), s.name(), "dtype " + s.dtype() + " where FP8 block scales must be F32");
    }
    if (!Arrays.equals(s.shape(), scaleShape)) {
      throw new CheckpointFormatException(
          s.file(),
          s.name(),
          "shape "
              + Arrays.toString(s.shape())
              + " where the "
              + rows
              + " x "
              + cols
              + " weight in blocks of "
              + scale.blockRows()
              + " x "
              + scale.blockCols()
              + " (weight_block_size) needs "
              + Arrays.toString(scaleShape));
    }
    float[] scales =
        reader != null
            ? loadJava(reader, checkpoint, s.name(), scaleShape)
            : loadJava(checkpoint, s.name(), scaleShape);
    ByteBuffer bytes;
    if (reader != null) {
      bytes = ByteBuffer.allocate(Math.toIntExact(info.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
      reader.readRaw(info, bytes);
      bytes.flip();
    } else {
      bytes = checkpoint.map(info);
    }
    Fp8E4m3.dequantize(
        bytes,
        rows,
        cols,
        scales,
        scale.blockRows(),
        scale.blockCols(),
        dst,
        info.file(),
        info.name());
  }

  private static void requireBf16(TensorInfo info) throws CheckpointFormatException {
    if (info.dtype() != DType.BF16) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "dtype " + info.dtype() + " where the model's weights are BF16 (a mixed checkpoint)");
    }
  }

  /** Row {@code row} of a FLOAT or BFLOAT16 row-major matrix, as float32, into {@code dst}. */
  public static void readRow(INDArray matrix, long row, float[] dst, int dstOffset) {
    int cols = (int) matrix.columns();
    if (matrix.dataType() == DataType.FLOAT) {
      FloatBuffer b = matrix.data().asNioFloat();
      b.get(Math.toIntExact(matrix.offset() + row * cols), dst, dstOffset, cols);
      return;
    }
    RawFloats.toFloat32(
        DType.BF16,
        bytesAt(matrix, row * cols, 2L * cols),
        FloatBuffer.wrap(dst, dstOffset, cols),
        cols);
  }

  /**
   * The checkpoint's tensor {@code name} after checking that its shape is {@code expectedShape} and
   * its dtype a floating-point one.
   *
   * @throws CheckpointFormatException naming the file and tensor otherwise
   */
  public static TensorInfo tensor(Checkpoint checkpoint, String name, long... expectedShape)
      throws CheckpointFormatException {
    TensorInfo info = checkpoint.tensor(name);
    checkShape(info, expectedShape);
    return info;
  }

  /**
   * Whether {@code info}'s bytes are {@code memory}'s elements as they are (F32 in FLOAT, BF16 in
   * BFLOAT16 memory), so that loading it is a plain copy.
   */
  public static boolean storedAs(TensorInfo info, INDArray memory) {
    return (info.dtype() == DType.F32 && memory.dataType() == DataType.FLOAT)
        || (info.dtype() == DType.BF16 && memory.dataType() == DataType.BFLOAT16);
  }

  /**
   * A little-endian byte view of {@code bytes} bytes of a flat array's memory from element {@code
   * offset} on (valid while the array is open).
   */
  public static ByteBuffer bytesAt(INDArray memory, long offset, long bytes) {
    ByteBuffer all = Kernels.bytes(memory);
    long start = offset * memory.dataType().width();
    if (start + bytes > all.capacity()) {
      throw new IllegalArgumentException(
          bytes + " bytes do not fit at element " + offset + " of " + memory.shapeInfoToString());
    }
    return all.position((int) start)
        .limit((int) (start + bytes))
        .slice()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Native bytes of an array (its elements in its dtype). */
  public static long bytes(INDArray array) {
    return array.length() * array.dataType().width();
  }

  /**
   * Reads a checkpoint tensor, converted to float32, into {@code dst} at its position, after
   * checking its shape and dtype.
   *
   * @return the tensor's size in the checkpoint, bytes
   */
  public static long readInto(
      Checkpoint checkpoint, String name, FloatBuffer dst, long... expectedShape)
      throws IOException {
    TensorInfo info = checkpoint.tensor(name);
    checkShape(info, expectedShape);
    checkpoint.readFloat32(info, dst);
    return info.byteSize();
  }

  /**
   * Loads a small tensor (a norm's weight, for example) into a Java array, converting to float32.
   */
  public static float[] loadJava(Checkpoint checkpoint, String name, long... expectedShape)
      throws IOException {
    TensorInfo info = checkpoint.tensor(name);
    checkShape(info, expectedShape);
    float[] out = new float[Math.toIntExact(info.elementCount())];
    checkpoint.readFloat32(info, FloatBuffer.wrap(out));
    return out;
  }

  static void checkShape(TensorInfo info, long[] expected) throws CheckpointFormatException {
    // the dtype first: a quantized tensor where a float one is expected has another shape too
    if (!info.dtype().isFloatingPoint()) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "dtype "
              + info.dtype()
              + " is not a floating-point type; weights must be F32, F16 or BF16"
              + (info.dtype() == DType.U8
                  ? " (a quantized tensor where the configuration expects none)"
                  : ""));
    }
    if (!Arrays.equals(info.shape(), expected)) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "shape "
              + Arrays.toString(info.shape())
              + " ("
              + info.dtype()
              + ") does not match the configuration, which needs "
              + Arrays.toString(expected));
    }
  }

  /**
   * Wraps float32 little-endian bytes (a memory-mapped tensor) as an array without copying. The
   * buffer must stay valid (mapped) as long as the array is used.
   */
  static INDArray wrapMapped(ByteBuffer bytes, long[] shape) {
    FloatPointer pointer = new FloatPointer(bytes.asFloatBuffer());
    long length = bytes.remaining() / Float.BYTES;
    DataBuffer buffer =
        Nd4j.createBuffer(pointer, DataType.FLOAT, length, FloatIndexer.create(pointer));
    return Nd4j.create(buffer, shape);
  }

  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, Tensors.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** A float32 row-major matrix of zeros, owned by the caller. */
  public static INDArray matrix(int rows, int cols) {
    return Nd4j.create(DataType.FLOAT, rows, cols);
  }

  /** A view of the first {@code rows} rows of a row-major matrix; shares its memory. */
  public static INDArray firstRows(INDArray matrix, int rows) {
    return Nd4j.create(matrix.data(), new long[] {rows, matrix.columns()});
  }

  /**
   * {@code out = x · wᵀ}: x is [n, in], w is [out, in] as checkpoints store it, out is [n, out].
   */
  public static void linear(INDArray x, INDArray w, INDArray out) {
    Kernels.linear(x, new INDArray[] {w}, new INDArray[] {out});
  }

  /**
   * {@code outs[k] = x · ws[k]ᵀ} for products that share their input (q, k and v; gate and up), run
   * as one: the same result as separate {@link #linear(INDArray, INDArray, INDArray)} calls, with
   * one hand-off to the kernel threads instead of one per product. Weights are FLOAT or BFLOAT16
   * [out, in]; x and the outputs are float32.
   */
  public static void linear(INDArray x, INDArray[] ws, INDArray[] outs) {
    if (ws.length != outs.length) {
      throw new IllegalArgumentException(ws.length + " weights but " + outs.length + " outputs");
    }
    Kernels.linear(x, ws, outs);
  }

  /** Which kernels the products use on this JVM, for reports. */
  public static String kernels() {
    return Kernels.describe();
  }
}
