package dev.ringmoe.moe;

import java.util.BitSet;

/**
 * A router's decision for a batch of tokens: for token {@code t} and rank {@code j < k}, the chosen
 * expert {@link #expert(int, int)} and its combine weight {@link #weight(int, int)}, best first.
 *
 * <p>A plain mutable holder that a {@link Router} fills; not thread-safe.
 */
public final class Routing {
  private final int tokens;
  private final int k;
  final int[] experts;
  final float[] weights;

  /** Room for {@code tokens} tokens with {@code k} experts each. */
  public Routing(int tokens, int k) {
    this.tokens = tokens;
    this.k = k;
    this.experts = new int[tokens * k];
    this.weights = new float[tokens * k];
  }

  public int tokens() {
    return tokens;
  }

  /** Experts per token. */
  public int k() {
    return k;
  }

  /** The expert of rank {@code j} (0 = best) chosen for token {@code t}. */
  public int expert(int t, int j) {
    return experts[t * k + j];
  }

  /** The combine weight of the expert of rank {@code j} for token {@code t}. */
  public float weight(int t, int j) {
    return weights[t * k + j];
  }

  /** Sets the choice of rank {@code j} for token {@code t}; for {@link Router} implementations. */
  public void set(int t, int j, int expert, float weight) {
    experts[t * k + j] = expert;
    weights[t * k + j] = weight;
  }

  /** Every expert that at least one token chose. */
  public BitSet used() {
    BitSet used = new BitSet();
    for (int e : experts) {
      used.set(e);
    }
    return used;
  }
}
