package dev.ringmoe.model;

/**
 * A forward pass produced a NaN or infinite value where the model needs finite numbers: the hidden
 * state after a layer's attention or MoE block, the router logits, or the final logits. The message
 * names the layer (or the LM head), the quantity, the token and the value, so that the cause
 * (non-finite weights in the checkpoint, or activations that overflow float32) can be found.
 *
 * <p>The decoder checks each of these once per layer and stops the pass at the first one rather
 * than routing on NaN (which has no top-k) or returning NaN logits. The KV cache does not advance
 * for the failed pass; the model stays usable for other inputs.
 */
public final class NonFiniteException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  public NonFiniteException(String message) {
    super(message);
  }
}
