package dev.ringmoe.tensor;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.CheckpointFormatException;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
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

  private static void checkShape(TensorInfo info, long[] expected)
      throws CheckpointFormatException {
    if (!Arrays.equals(info.shape(), expected)) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "shape "
              + Arrays.toString(info.shape())
              + " does not match the configuration, which needs "
              + Arrays.toString(expected));
    }
    if (!info.dtype().isFloatingPoint()) {
      throw new CheckpointFormatException(
          info.file(),
          info.name(),
          "dtype "
              + info.dtype()
              + " is not a floating-point type; weights must be F32, F16 or BF16");
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
    Nd4j.gemm(x, w, out, false, true, 1.0, 0.0);
  }
}
