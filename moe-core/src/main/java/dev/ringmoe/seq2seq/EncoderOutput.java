package dev.ringmoe.seq2seq;

import java.util.Arrays;

/**
 * The encoder's last hidden state (after its final layer norm) for one input sequence: what the
 * decoder's cross-attention reads. Plain Java memory, owned by whoever holds it; one encoder output
 * serves any number of {@link DecoderState}s.
 *
 * <p>Immutable (the accessor copies); thread-safe.
 */
public final class EncoderOutput {
  private final int[] inputIds;
  private final float[] hidden;
  private final int width;

  EncoderOutput(int[] inputIds, float[] hidden, int width) {
    this.inputIds = inputIds.clone();
    this.hidden = hidden;
    this.width = width;
  }

  /** The encoder's input token ids. */
  public int[] inputIds() {
    return inputIds.clone();
  }

  /** Positions encoded. */
  public int length() {
    return inputIds.length;
  }

  /** The model width ({@code d_model}). */
  public int width() {
    return width;
  }

  /** A copy of the hidden state, [length * width] row-major. */
  public float[] hidden() {
    return hidden.clone();
  }

  /** The array itself, for the decoder; never modified. */
  float[] values() {
    return hidden;
  }

  @Override
  public String toString() {
    return "EncoderOutput" + Arrays.toString(new int[] {length(), width});
  }
}
