package dev.ringmoe.hash.trace;

import com.google.common.base.Preconditions;

/**
 * One traced sequence: its token ids, their embeddings and every MoE layer's raw router logits,
 * optionally also the hidden state entering each MoE block. Arrays are flat and row-major; they are
 * shared, not copied: do not modify.
 */
public final class TraceSequence {
  private final int[] tokenIds;
  private final float[] embeddings;
  private final float[] routerLogits;
  private final float[] hiddenBeforeMoe;
  private final int hidden;
  private final int layers;
  private final int experts;

  /**
   * @param tokenIds the T token ids
   * @param embeddings [T][hidden]
   * @param routerLogits [T][layers][experts]
   * @param hiddenBeforeMoe [T][layers][hidden], the residual after each layer's attention, or
   *     {@code null}
   */
  public TraceSequence(
      int[] tokenIds,
      float[] embeddings,
      float[] routerLogits,
      float[] hiddenBeforeMoe,
      int hidden,
      int layers,
      int experts) {
    int t = tokenIds.length;
    Preconditions.checkArgument(t > 0, "empty sequence");
    Preconditions.checkArgument(
        embeddings.length == (long) t * hidden,
        "embeddings: %s floats for %s x %s",
        embeddings.length,
        t,
        hidden);
    Preconditions.checkArgument(
        routerLogits.length == (long) t * layers * experts,
        "router logits: %s floats for %s x %s x %s",
        routerLogits.length,
        t,
        layers,
        experts);
    Preconditions.checkArgument(
        hiddenBeforeMoe == null || hiddenBeforeMoe.length == (long) t * layers * hidden,
        "hidden states: %s floats for %s x %s x %s",
        hiddenBeforeMoe == null ? 0 : hiddenBeforeMoe.length,
        t,
        layers,
        hidden);
    this.tokenIds = tokenIds;
    this.embeddings = embeddings;
    this.routerLogits = routerLogits;
    this.hiddenBeforeMoe = hiddenBeforeMoe;
    this.hidden = hidden;
    this.layers = layers;
    this.experts = experts;
  }

  public int tokens() {
    return tokenIds.length;
  }

  public int hidden() {
    return hidden;
  }

  public int layers() {
    return layers;
  }

  public int experts() {
    return experts;
  }

  public int[] tokenIds() {
    return tokenIds;
  }

  /** Token embeddings, [T][hidden]. */
  public float[] embeddings() {
    return embeddings;
  }

  /** Raw router logits, [T][layers][experts]. */
  public float[] routerLogits() {
    return routerLogits;
  }

  /** Offset of token {@code t}, layer {@code layer}'s logits in {@link #routerLogits()}. */
  public int logitsOffset(int t, int layer) {
    return (t * layers + layer) * experts;
  }

  public float routerLogit(int t, int layer, int expert) {
    return routerLogits[logitsOffset(t, layer) + expert];
  }

  public boolean hasHiddenStates() {
    return hiddenBeforeMoe != null;
  }

  /**
   * The residual after each layer's attention (entering its MoE block), [T][layers][hidden]; or
   * {@code null}.
   */
  public float[] hiddenBeforeMoe() {
    return hiddenBeforeMoe;
  }

  /**
   * Offset of token {@code t}, layer {@code layer}'s hidden state in {@link #hiddenBeforeMoe()}.
   */
  public int hiddenOffset(int t, int layer) {
    return (t * layers + layer) * hidden;
  }
}
