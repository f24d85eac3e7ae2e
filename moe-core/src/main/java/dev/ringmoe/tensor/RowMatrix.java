package dev.ringmoe.tensor;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A native row-major float32 matrix with a direct buffer over its memory and cached views of its
 * first rows, for preallocated {@code gemm} operands: a product over the first {@code n} rows (the
 * {@code n} tokens that chose an expert) reuses one view instead of creating an ND4J array each
 * time.
 *
 * <p>Owns its native memory until {@link #close()}. Not thread-safe.
 */
public final class RowMatrix implements AutoCloseable {
  private final INDArray array;
  private final FloatBuffer buffer;
  private final INDArray[] prefixes;

  /** A zeroed {@code rows x cols} matrix. */
  public RowMatrix(int rows, int cols) {
    array = Tensors.matrix(rows, cols);
    buffer = array.data().asNioFloat();
    prefixes = new INDArray[rows + 1];
    prefixes[rows] = array;
  }

  /** The whole matrix. */
  public INDArray array() {
    return array;
  }

  /** The first {@code rows} rows, sharing memory; valid until {@link #close()}. */
  public INDArray rows(int rows) {
    INDArray p = prefixes[rows];
    if (p == null) {
      p = Tensors.firstRows(array, rows);
      prefixes[rows] = p;
    }
    return p;
  }

  /** Copies {@code src[0 .. count)} to the start of the matrix. */
  public void write(float[] src, int count) {
    buffer.put(0, src, 0, count);
  }

  /** Copies the first {@code count} values of the matrix to {@code dst[0 .. count)}. */
  public void read(float[] dst, int count) {
    buffer.get(0, dst, 0, count);
  }

  @Override
  public void close() {
    array.close();
  }
}
