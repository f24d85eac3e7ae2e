package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.tensor.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One expert: SwiGLU, {@code down(silu(gate(x)) * up(x))}, or, without a gate (T5-style models),
 * ReLU, {@code down(relu(up(x)))}. Gate and up are [intermediate, hidden], down is [hidden,
 * intermediate], float32 or bfloat16; optional float32 biases (gpt-oss) are added after each
 * projection: gate and up [intermediate], down [hidden].
 *
 * <p>Immutable holder; the arrays (the bias arrays included, which a streaming store refills when
 * it reuses a slot) are owned by the {@link WeightStore} that handed it out and are valid until the
 * expert is released to it. Callers do not modify the biases.
 */
public final class ExpertWeights {
  final INDArray gate;
  final INDArray up;
  final INDArray down;
  private final float[] gateBias;
  private final float[] upBias;
  private final float[] downBias;

  /**
   * @param gate the gate projection, or {@code null} for a ReLU network
   */
  public ExpertWeights(INDArray gate, INDArray up, INDArray down) {
    this(gate, up, down, null, null, null);
  }

  /** An expert with biases; each may be null (no bias on that projection). */
  public ExpertWeights(
      INDArray gate,
      INDArray up,
      INDArray down,
      float[] gateBias,
      float[] upBias,
      float[] downBias) {
    this.gate = gate;
    this.up = Preconditions.checkNotNull(up);
    this.down = Preconditions.checkNotNull(down);
    this.gateBias = gateBias;
    this.upBias = upBias;
    this.downBias = downBias;
  }

  /** The gate projection's bias [intermediate], or null. */
  public float[] gateBias() {
    return gateBias;
  }

  /** The up projection's bias [intermediate], or null. */
  public float[] upBias() {
    return upBias;
  }

  /** The down projection's bias [hidden], or null. */
  public float[] downBias() {
    return downBias;
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
