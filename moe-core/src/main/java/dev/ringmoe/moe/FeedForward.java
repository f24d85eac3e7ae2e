package dev.ringmoe.moe;

import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.tensor.RowMatrix;
import dev.ringmoe.tensor.Tensors;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One feed-forward network: gated, {@code down(act(gate(x), up(x)))} with the {@link
 * GatedActivation} it was made with (SwiGLU unless told otherwise) and the expert's biases if it
 * has them, or, for weights without a gate (T5-style models), ReLU {@code down(relu(up(x)))}: an
 * expert of a sparse block, a shared expert, or the dense MLP of a layer without experts. The
 * weights are passed in ({@link ExpertWeights}: gate and up [intermediate, hidden], down [hidden,
 * intermediate], float32 or bfloat16), so one instance serves every expert of a model, whatever its
 * intermediate width.
 *
 * <p>Owns preallocated scratch matrices for up to {@code maxRows} rows, one set per intermediate
 * width it has seen (freed by {@link #close()}). Not thread-safe: one instance per decoding thread.
 */
public final class FeedForward implements AutoCloseable {
  private final int maxRows;
  private final GatedActivation activation;
  private final Map<Integer, Scratch> scratch = new HashMap<>();
  private float[] outValues = new float[0];

  public FeedForward(int maxRows) {
    this(maxRows, GatedActivation.SWIGLU);
  }

  /** A network whose element-wise step is {@code activation}. */
  public FeedForward(int maxRows, GatedActivation activation) {
    this.maxRows = maxRows;
    this.activation = activation;
  }

  /**
   * {@code out = down(silu(gate(in)) * up(in))} for the {@code rows} rows of {@code in} ([rows,
   * hidden]) into {@code out} ([rows, hidden]); both are the caller's arrays.
   */
  public void forward(ExpertWeights w, INDArray in, int rows, INDArray out) {
    if (w.gate() == null) {
      relu(w, in, rows, out);
      return;
    }
    int intermediate = (int) w.gate().rows();
    Scratch s = scratch.computeIfAbsent(intermediate, i -> new Scratch(maxRows, i));
    INDArray g = s.gate.rows(rows);
    // gate and up share their input: one product group
    Tensors.linear(in, new INDArray[] {w.gate(), w.up()}, new INDArray[] {g, s.up.rows(rows)});
    int n = rows * intermediate;
    s.gate.read(s.gateValues, n);
    s.up.read(s.upValues, n);
    addBias(s.gateValues, rows, w.gateBias());
    addBias(s.upValues, rows, w.upBias());
    activation.apply(s.gateValues, s.upValues, n);
    s.gate.write(s.gateValues, n);
    Tensors.linear(g, w.down(), out);
    float[] downBias = w.downBias();
    if (downBias != null) {
      int m = rows * downBias.length;
      if (outValues.length < m) {
        outValues = new float[m];
      }
      FloatBuffer o = out.data().asNioFloat();
      int base = Math.toIntExact(out.offset());
      o.get(base, outValues, 0, m);
      addBias(outValues, rows, downBias);
      o.put(base, outValues, 0, m);
    }
  }

  /** Adds {@code bias} (if any) to each of the {@code rows} rows of {@code x}. */
  private static void addBias(float[] x, int rows, float[] bias) {
    if (bias == null) {
      return;
    }
    for (int r = 0; r < rows; r++) {
      int off = r * bias.length;
      for (int i = 0; i < bias.length; i++) {
        x[off + i] += bias[i];
      }
    }
  }

  /** {@code down(relu(up(x)))}, T5's {@code DenseActDense}. */
  private void relu(ExpertWeights w, INDArray in, int rows, INDArray out) {
    int intermediate = (int) w.up().rows();
    Scratch s = scratch.computeIfAbsent(intermediate, i -> new Scratch(maxRows, i));
    INDArray u = s.up.rows(rows);
    Tensors.linear(in, w.up(), u);
    int n = rows * intermediate;
    s.up.read(s.upValues, n);
    for (int i = 0; i < n; i++) {
      // max(x, 0) as torch.relu: NaN stays NaN
      float x = s.upValues[i];
      s.upValues[i] = x < 0f ? 0f : x;
    }
    s.up.write(s.upValues, n);
    Tensors.linear(u, w.down(), out);
  }

  @Override
  public void close() {
    scratch.values().forEach(Scratch::close);
    scratch.clear();
  }

  private static final class Scratch implements AutoCloseable {
    final RowMatrix gate;
    final RowMatrix up;
    final float[] gateValues;
    final float[] upValues;

    Scratch(int rows, int intermediate) {
      gate = new RowMatrix(rows, intermediate);
      up = new RowMatrix(rows, intermediate);
      gateValues = new float[rows * intermediate];
      upValues = new float[rows * intermediate];
    }

    @Override
    public void close() {
      gate.close();
      up.close();
    }
  }
}
