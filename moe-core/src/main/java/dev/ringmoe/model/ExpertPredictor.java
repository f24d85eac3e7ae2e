package dev.ringmoe.model;

import java.util.BitSet;

/**
 * Predicts, before a layer runs, which of its experts the router will choose for the current
 * tokens, so that a streaming {@link WeightStore} can start loading them early. Predictions only
 * decide what is loaded ahead of time: the model's own router always decides what runs, and an
 * expert that was not predicted is loaded on demand, so a wrong prediction costs time, never
 * accuracy.
 *
 * <p>Implementations are called on the decoding thread (or a store's prediction thread) and must be
 * fast and thread-confined or thread-safe as they document. A host application may implement this
 * interface itself.
 */
@FunctionalInterface
public interface ExpertPredictor {
  /**
   * The experts of {@code input.layer()} expected for the tokens of the pass (the union over
   * tokens), or {@code null} when the predictor has no opinion for that layer.
   */
  BitSet predict(LayerInput input);

  /**
   * Whether predictions need the hidden state before the layer (gate lookahead does). Predictors
   * that work from the token ids alone (a trained hash network, frequencies) return false, and a
   * store may then ask for every layer as soon as a pass starts.
   */
  default boolean needsHiddenState() {
    return true;
  }

  /**
   * Whether {@link #refine} adds anything: a predictor that predicts every layer up front from the
   * tokens (so {@link #needsHiddenState()} is false) and can sharpen a layer's prediction once the
   * hidden state one layer before it exists. Default false.
   */
  default boolean refines() {
    return false;
  }

  /**
   * A second look at {@code input.layer()}, one layer ahead, from the hidden state the store passes
   * (the same state {@link #gateLookahead()} reads), for predictors whose {@link #refines()} is
   * true. Returns the experts expected now (a store loads those not yet loading), or {@code null}
   * for no change. Called on the decoding thread.
   */
  default BitSet refine(LayerInput input) {
    return null;
  }

  /**
   * Predicts every expert of every layer: a store then loads whole layers ahead, as SE-MoE's ring
   * does.
   */
  static ExpertPredictor allExperts() {
    return new ExpertPredictor() {
      @Override
      public BitSet predict(LayerInput input) {
        BitSet all = new BitSet();
        all.set(0, input.config().experts());
        return all;
      }

      @Override
      public boolean needsHiddenState() {
        return false;
      }
    };
  }

  /**
   * Next-layer gate lookahead, as mixtral-offloading does: applies the layer's own RMSNorm and
   * router to the hidden state the store passes (the ring passes the previous layer's residual
   * after its attention, so that the copies overlap that layer's expert compute) and takes each
   * token's top-k experts. Needs the layer's dense weights; returns {@code null} when they are not
   * resident yet.
   */
  static ExpertPredictor gateLookahead() {
    return GateLookahead.INSTANCE;
  }
}
