package dev.ringmoe.generate;

/**
 * What a generation produced: the prompt's ids, the generated ids, their text (empty without a
 * tokenizer), why it stopped, and how long prefill and decode took (nanoseconds).
 *
 * <p>Immutable; arrays are copied on the way in and out.
 */
public final class GenerationResult {
  /** Why generation ended. */
  public enum StopReason {
    /** The end-of-sequence token was generated. */
    EOS,
    /** {@code maxNewTokens} tokens were generated. */
    MAX_NEW_TOKENS,
    /**
     * The model's maximum sequence length ({@code max_position_embeddings}) was reached: the last
     * generated token ends the sequence and was not run through the model.
     */
    MAX_POSITIONS,
    /**
     * The decoded text produced one of the options' stop sequences ({@link
     * GenerationOptions#stop()}); the text ends before it, the ids include the token(s) that
     * completed it.
     */
    STOP_SEQUENCE,
    /**
     * The caller cancelled the generation: a {@link TokenStream} was closed, or the listener threw
     * {@link GenerationCancelledException}.
     */
    CANCELLED
  }

  private final int[] promptIds;
  private final int[] generatedIds;
  private final String text;
  private final StopReason stopReason;
  private final long prefillNanos;
  private final long decodeNanos;

  public GenerationResult(
      int[] promptIds,
      int[] generatedIds,
      String text,
      StopReason stopReason,
      long prefillNanos,
      long decodeNanos) {
    this.promptIds = promptIds.clone();
    this.generatedIds = generatedIds.clone();
    this.text = text;
    this.stopReason = stopReason;
    this.prefillNanos = prefillNanos;
    this.decodeNanos = decodeNanos;
  }

  public int[] promptIds() {
    return promptIds.clone();
  }

  /**
   * Generated token ids, EOS included when it ended the generation, and the token(s) that completed
   * a stop sequence included when one did (their text is not in {@link #text()}).
   */
  public int[] generatedIds() {
    return generatedIds.clone();
  }

  /** The prompt's ids followed by the generated ones: the whole sequence the model ran. */
  public int[] allIds() {
    int[] all = java.util.Arrays.copyOf(promptIds, promptIds.length + generatedIds.length);
    System.arraycopy(generatedIds, 0, all, promptIds.length, generatedIds.length);
    return all;
  }

  public String text() {
    return text;
  }

  public StopReason stopReason() {
    return stopReason;
  }

  /** Time of the prompt's forward pass, which also produced the first generated token. */
  public long prefillNanos() {
    return prefillNanos;
  }

  /** Time of the incremental steps after the first token. */
  public long decodeNanos() {
    return decodeNanos;
  }

  /** Prompt tokens per second of prefill. */
  public double prefillTokensPerSecond() {
    return prefillNanos == 0 ? 0 : promptIds.length * 1e9 / prefillNanos;
  }

  /**
   * Generated tokens per second of decode (the first token comes from prefill and is not counted).
   */
  public double decodeTokensPerSecond() {
    int steps = generatedIds.length - 1;
    return steps <= 0 || decodeNanos == 0 ? 0 : steps * 1e9 / decodeNanos;
  }
}
