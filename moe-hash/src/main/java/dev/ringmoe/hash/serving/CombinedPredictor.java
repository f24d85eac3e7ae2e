package dev.ringmoe.hash.serving;

import com.google.common.base.Preconditions;
import dev.ringmoe.hash.baseline.LookaheadPredictor;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.tensor.VectorMath;
import java.util.BitSet;

/**
 * The SiDA hash network's prediction for every layer up front, refined by gate lookahead one layer
 * ahead. The two are strong in different places (on moe-text-16x lookahead is nearly blind at layer
 * 1, where the hash network is good, and the hash network is weakest at layer 2, where lookahead is
 * good), so their opinions are mixed per token: {@code score = w · p_hash + (1 − w) ·
 * softmax(lookahead logits)}, {@code w} the hash weight.
 *
 * <p>Serving: {@link #predict(LayerInput)} is the hash network alone, run on the store's
 * hash-building thread for all layers as soon as a pass starts; {@link #refine(LayerInput)} is
 * asked on the decoding thread one layer ahead, with the hidden state lookahead reads, and returns
 * the experts the mixed scores expect (the store loads the ones not yet loading). Offline ({@link
 * #predict(TraceSequence)}) it needs traces with hidden states. Thread-safety as its parts: the
 * hash part is thread-safe, the lookahead part is stateless. Owns the hash part ({@link #close()}).
 */
public final class CombinedPredictor implements ExpertPredictor, SequencePredictor, AutoCloseable {
  /** The hash weight used unless told otherwise. */
  public static final double DEFAULT_HASH_WEIGHT = 0.5;

  private final SidaExpertPredictor hash;
  private final LookaheadPredictor lookahead;
  private final double hashWeight;
  private final int topK;

  /**
   * @param hashWeight {@code w} in [0, 1]: 1 is the hash network alone, 0 lookahead alone
   * @param topK experts per token to predict (the model's top-k)
   */
  public CombinedPredictor(
      SidaExpertPredictor hash, LookaheadPredictor lookahead, double hashWeight, int topK) {
    Preconditions.checkArgument(
        hashWeight >= 0 && hashWeight <= 1, "hash weight %s outside [0, 1]", hashWeight);
    Preconditions.checkArgument(topK > 0, "topK must be positive");
    this.hash = Preconditions.checkNotNull(hash);
    this.lookahead = Preconditions.checkNotNull(lookahead);
    this.hashWeight = hashWeight;
    this.topK = topK;
  }

  @Override
  public RoutingPrediction predict(TraceSequence seq) {
    RoutingPrediction h = hash.predict(seq);
    RoutingPrediction g = lookahead.predict(seq);
    int experts = seq.experts();
    float[] out = new float[h.scores().length];
    for (int row = 0; row < seq.tokens() * seq.layers(); row++) {
      mix(h.scores(), g.scores(), row * experts, experts, out, row * experts);
    }
    return new RoutingPrediction(seq.tokens(), seq.layers(), experts, out);
  }

  /** Up front, from the tokens: the hash network's prediction. */
  @Override
  public BitSet predict(LayerInput input) {
    return hash.predict(input);
  }

  @Override
  public boolean needsHiddenState() {
    return false;
  }

  @Override
  public boolean refines() {
    return true;
  }

  /** One layer ahead: the mixed scores' top-k per token, as a union over the pass's tokens. */
  @Override
  public BitSet refine(LayerInput input) {
    int experts = input.config().experts();
    int tokens = input.tokens();
    int layer = input.routingLayer();
    if (layer < 0
        || layer >= lookahead.layers()
        || input.config().hiddenSize() * tokens != input.hidden().length) {
      return null;
    }
    float[] hashProbs = new float[tokens * experts];
    hash.probabilities(input, hashProbs);
    float[] logits = new float[tokens * experts];
    lookahead.scores(
        layer, input.hidden(), 0, input.config().hiddenSize(), tokens, logits, 0, experts);
    float[] mixed = new float[experts];
    BitSet out = new BitSet(experts);
    for (int t = 0; t < tokens; t++) {
      mix(hashProbs, logits, t * experts, experts, mixed, 0);
      for (int e : VectorMath.topK(mixed, 0, experts, topK)) {
        out.set(e);
      }
    }
    return out;
  }

  /** {@code out = w · hashProbs + (1 − w) · softmax(logits)} over one row of {@code experts}. */
  private void mix(
      float[] hashProbs, float[] logits, int offset, int experts, float[] out, int outOffset) {
    VectorMath.softmax(logits, offset, experts, out, outOffset);
    for (int e = 0; e < experts; e++) {
      out[outOffset + e] =
          (float) (hashWeight * hashProbs[offset + e] + (1 - hashWeight) * out[outOffset + e]);
    }
  }

  @Override
  public boolean readsHiddenStates() {
    return true;
  }

  /** Closes the hash part. Idempotent. */
  @Override
  public void close() {
    hash.close();
  }

  @Override
  public String name() {
    return "combined(" + hash.name() + ", lookahead, w=" + hashWeight + ")";
  }
}
