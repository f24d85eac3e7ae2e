package dev.ringmoe.hash.serving;

import com.google.common.base.Preconditions;
import dev.ringmoe.hash.sida.HashPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.model.RoutingPredictor;
import java.util.BitSet;

/**
 * A trained SiDA hash network serving a model: it predicts every layer's experts from the token ids alone, so a
 * streaming store can start loading the experts of all layers as soon as a pass starts, and in
 * {@link dev.ringmoe.RoutingMode#SIDA} its probabilities replace the router.
 *
 * <p>Keeps the network's causal state (LSTM state and attention keys) across the passes of one sequence: a pass at
 * position 0 starts a new sequence; a pass at the position where the previous one ended continues it. Not
 * thread-safe: one predictor per model, called on the decoding thread.
 */
public final class SidaExpertPredictor implements RoutingPredictor {
  private final HashPredictor hash;
  private final int topK;
  private HashPredictor.Session session;
  private int[] passIds;
  private int passPosition = -1;
  private float[][][] passProbabilities;

  /**
   * @param topK experts per token to predict (the model's top-k)
   */
  public SidaExpertPredictor(HashPredictor hash, int topK) {
    this.hash = Preconditions.checkNotNull(hash);
    Preconditions.checkArgument(topK > 0, "topK must be positive");
    this.topK = topK;
  }

  /** [tokens][layers][experts] for the pass, computed once per pass. */
  private float[][][] forPass(LayerInput input) {
    if (input.tokenIds() == passIds && input.position() == passPosition) {
      return passProbabilities;
    }
    if (session == null || input.position() == 0 || input.position() != session.position()) {
      // A new sequence, or a pass that does not continue the last one: the network can only see this pass.
      session = hash.newSession();
    }
    passProbabilities = session.prefill(input.tokenIds());
    passIds = input.tokenIds();
    passPosition = input.position();
    return passProbabilities;
  }

  @Override
  public BitSet predict(LayerInput input) {
    float[][][] p = forPass(input);
    BitSet expected = new BitSet(input.config().experts());
    for (float[][] token : p) {
      for (int e : HashPredictor.topK(token[input.layer()], topK)) {
        expected.set(e);
      }
    }
    return expected;
  }

  @Override
  public void probabilities(LayerInput input, float[] out) {
    float[][][] p = forPass(input);
    int experts = input.config().experts();
    for (int t = 0; t < p.length; t++) {
      System.arraycopy(p[t][input.layer()], 0, out, t * experts, experts);
    }
  }

  @Override
  public boolean needsHiddenState() {
    return false;
  }
}
