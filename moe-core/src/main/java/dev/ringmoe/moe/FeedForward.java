package dev.ringmoe.moe;

import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.tensor.RowMatrix;
import dev.ringmoe.tensor.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One SwiGLU feed-forward network, {@code down(silu(gate(x)) * up(x))}: an expert of a sparse block, a shared
 * expert, or the dense MLP of a layer without experts. The weights are passed in ({@link ExpertWeights}: gate and up
 * [intermediate, hidden], down [hidden, intermediate], float32), so one instance serves every expert of a model.
 *
 * <p>Owns preallocated scratch matrices for up to {@code maxRows} rows (freed by {@link #close()}). Not
 * thread-safe: one instance per decoding thread.
 */
public final class FeedForward implements AutoCloseable {
  private final int intermediate;
  private final RowMatrix gate;
  private final RowMatrix up;
  private final float[] gateValues;
  private final float[] upValues;

  public FeedForward(int intermediate, int maxRows) {
    this.intermediate = intermediate;
    this.gate = new RowMatrix(maxRows, intermediate);
    this.up = new RowMatrix(maxRows, intermediate);
    this.gateValues = new float[maxRows * intermediate];
    this.upValues = new float[maxRows * intermediate];
  }

  /**
   * {@code out = down(silu(gate(in)) * up(in))} for the {@code rows} rows of {@code in} ([rows, hidden]) into
   * {@code out} ([rows, hidden]); both are the caller's arrays.
   */
  public void forward(ExpertWeights w, INDArray in, int rows, INDArray out) {
    INDArray g = gate.rows(rows);
    Tensors.linear(in, w.gate(), g);
    Tensors.linear(in, w.up(), up.rows(rows));
    int n = rows * intermediate;
    gate.read(gateValues, n);
    up.read(upValues, n);
    for (int i = 0; i < n; i++) {
      float x = gateValues[i];
      gateValues[i] = x / (1f + (float) Math.exp(-x)) * upValues[i];
    }
    gate.write(gateValues, n);
    Tensors.linear(g, w.down(), out);
  }

  @Override
  public void close() {
    gate.close();
    up.close();
  }
}
