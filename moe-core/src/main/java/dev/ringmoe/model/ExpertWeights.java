package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.tensor.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One expert: SwiGLU, {@code down(silu(gate(x)) * up(x))}, or, without a gate (T5-style models),
 * ReLU, {@code down(relu(up(x)))}. Gate and up are [intermediate, hidden], down is [hidden,
 * intermediate], float32 or bfloat16.
 *
 * <p>Immutable holder; the arrays are owned by the {@link WeightStore} that handed it out and are
 * valid until the expert is released to it.
 */
public final class ExpertWeights {
  final INDArray gate;
  final INDArray up;
  final INDArray down;

  /**
   * @param gate the gate projection, or {@code null} for a ReLU network
   */
  public ExpertWeights(INDArray gate, INDArray up, INDArray down) {
    this.gate = gate;
    this.up = Preconditions.checkNotNull(up);
    this.down = Preconditions.checkNotNull(down);
  }

  /** The gate projection, [intermediate, hidden]; {@code null} for a ReLU network. */
  public INDArray gate() {
    return gate;
  }

  /** The up projection, [intermediate, hidden]. */
  public INDArray up() {
    return up;
  }

  /** The down projection, [hidden, intermediate]. */
  public INDArray down() {
    return down;
  }

  /** Native bytes of the three matrices. */
  public long bytes() {
    return (gate == null ? 0 : Tensors.bytes(gate)) + Tensors.bytes(up) + Tensors.bytes(down);
  }

  /** Closes the arrays; for the store that owns them, never for the decoder. */
  public void close() {
    if (gate != null) {
      gate.close();
    }
    up.close();
    down.close();
  }
}
