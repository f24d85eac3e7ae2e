package dev.ringmoe.model;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.tensor.Tensors;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Preallocated buffers for one forward pass over {@code tokens} tokens: the native matrices that {@code gemm} reads
 * and writes, and Java arrays for the element-wise work in between. Reusing them avoids ND4J's per-allocation cost
 * on the decode path, where every step has one token.
 *
 * <p>Owned by one {@link Decoder}; not thread-safe.
 */
final class Workspace implements AutoCloseable {
  final int tokens;

  // Java-side activations.
  final float[] residual;
  final float[] normed;
  final float[] q;
  final float[] k;
  final float[] v;
  final float[] attention;
  final float[] projected;
  final float[] routerLogits;
  final float[] moe;
  final float[] expertGate;
  final float[] expertUp;
  final float[] expertOut;

  // Native matrices for gemm, and direct views of their memory.
  final Matrix normedNd;
  final Matrix qNd;
  final Matrix kNd;
  final Matrix vNd;
  final Matrix attentionNd;
  final Matrix projectedNd;
  final Matrix routerNd;
  final Matrix expertIn;
  final Matrix expertGateNd;
  final Matrix expertUpNd;
  final Matrix expertOutNd;

  Workspace(ModelConfig c, int tokens) {
    this.tokens = tokens;
    int h = c.hiddenSize();
    int qDim = c.heads() * c.headDim();
    int kvDim = c.kvHeads() * c.headDim();
    int inter = c.intermediateSize();
    residual = new float[tokens * h];
    normed = new float[tokens * h];
    q = new float[tokens * qDim];
    k = new float[tokens * kvDim];
    v = new float[tokens * kvDim];
    attention = new float[tokens * qDim];
    projected = new float[tokens * h];
    routerLogits = new float[tokens * c.experts()];
    moe = new float[tokens * h];
    expertGate = new float[tokens * inter];
    expertUp = new float[tokens * inter];
    expertOut = new float[tokens * h];
    normedNd = new Matrix(tokens, h);
    qNd = new Matrix(tokens, qDim);
    kNd = new Matrix(tokens, kvDim);
    vNd = new Matrix(tokens, kvDim);
    attentionNd = new Matrix(tokens, qDim);
    projectedNd = new Matrix(tokens, h);
    routerNd = new Matrix(tokens, c.experts());
    expertIn = new Matrix(tokens, h);
    expertGateNd = new Matrix(tokens, inter);
    expertUpNd = new Matrix(tokens, inter);
    expertOutNd = new Matrix(tokens, h);
  }

  @Override
  public void close() {
    for (Matrix m : new Matrix[] {normedNd, qNd, kNd, vNd, attentionNd, projectedNd, routerNd, expertIn,
        expertGateNd, expertUpNd, expertOutNd}) {
      m.close();
    }
  }

  /**
   * A native row-major float32 matrix with a direct buffer over its memory and cached views of its first rows
   * (an expert runs on the first {@code n} rows when {@code n} tokens chose it).
   */
  static final class Matrix implements AutoCloseable {
    final INDArray array;
    final FloatBuffer buffer;
    private final INDArray[] prefixes;

    Matrix(int rows, int cols) {
      array = Tensors.matrix(rows, cols);
      buffer = array.data().asNioFloat();
      prefixes = new INDArray[rows + 1];
      prefixes[rows] = array;
    }

    /** The first {@code rows} rows, sharing memory. */
    INDArray rows(int rows) {
      INDArray p = prefixes[rows];
      if (p == null) {
        p = Tensors.firstRows(array, rows);
        prefixes[rows] = p;
      }
      return p;
    }

    void write(float[] src, int count) {
      buffer.put(0, src, 0, count);
    }

    void read(float[] dst, int count) {
      buffer.get(0, dst, 0, count);
    }

    @Override
    public void close() {
      array.close();
    }
  }
}
