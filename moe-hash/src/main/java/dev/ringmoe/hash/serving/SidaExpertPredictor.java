package dev.ringmoe.hash.serving;

import com.google.common.base.Preconditions;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.sida.HashPredictor;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.model.RoutingPredictor;
import dev.ringmoe.tensor.VectorMath;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained SiDA hash network serving a model: it predicts every layer's experts from the token ids
 * alone, so a streaming store can start loading the experts of all layers as soon as a pass starts,
 * and in {@link dev.ringmoe.RoutingMode#SIDA} its probabilities replace the router.
 *
 * <p>Keeps the network's causal state (LSTM state and attention keys) across the passes of one
 * sequence: a pass at position 0 starts a new sequence; a pass at the position where the previous
 * one ended continues it. The network runs once per pass: the last few passes' predictions are kept
 * (by token ids and position), so the store's hash-building thread and, in SIDA mode, the decoding
 * thread share one computation. Thread-safe (calls are serialised); one predictor per model. Owns
 * its {@link HashPredictor}: {@link #close()} frees the network's native weights.
 */
public final class SidaExpertPredictor
    implements RoutingPredictor, SequencePredictor, AutoCloseable {
  private final HashPredictor hash;
  private final int topK;
  private final String name;
  private HashPredictor.Session session;

  /** Recent passes' predictions, oldest first. */
  private final LinkedHashMap<PassKey, float[][][]> recent =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<PassKey, float[][][]> eldest) {
          return size() > RECENT;
        }
      };

  private static final int RECENT = 8;

  private record PassKey(int position, List<Integer> ids) {
    static PassKey of(LayerInput input) {
      return new PassKey(input.position(), Arrays.stream(input.tokenIds()).boxed().toList());
    }
  }

  /**
   * @param topK experts per token to predict (the model's top-k)
   */
  public SidaExpertPredictor(HashPredictor hash, int topK) {
    this(hash, topK, "sida");
  }

  /**
   * @param topK experts per token to predict (the model's top-k)
   * @param name the name in evaluation tables
   */
  public SidaExpertPredictor(HashPredictor hash, int topK, String name) {
    this.hash = Preconditions.checkNotNull(hash);
    Preconditions.checkArgument(topK > 0, "topK must be positive");
    this.topK = topK;
    this.name = Preconditions.checkNotNull(name);
  }

  /**
   * Offline: the network's probabilities for every token and layer of a recorded sequence, run from
   * its start.
   */
  @Override
  public RoutingPrediction predict(TraceSequence seq) {
    float[][][] p = hash.predict(seq.tokenIds());
    int layers = seq.layers();
    int experts = seq.experts();
    float[] scores = new float[seq.tokens() * layers * experts];
    for (int t = 0; t < seq.tokens(); t++) {
      for (int l = 0; l < layers; l++) {
        System.arraycopy(p[t][l], 0, scores, (t * layers + l) * experts, experts);
      }
    }
    return new RoutingPrediction(seq.tokens(), layers, experts, scores);
  }

  @Override
  public String name() {
    return name;
  }

  /** Frees the hash network's native weights; later predictions fail. Idempotent. */
  @Override
  public void close() {
    hash.close();
  }

  /** [tokens][layers][experts] for the pass, computed once per pass. */
  private synchronized float[][][] forPass(LayerInput input) {
    PassKey key = PassKey.of(input);
    float[][][] known = recent.get(key);
    if (known != null) {
      return known;
    }
    if (session == null || input.position() == 0 || input.position() != session.position()) {
      // A new sequence, or a pass that does not continue the last one: the network can only see
      // this pass.
      session = hash.newSession();
      // Passes that continued the old session no longer match its state; whole sequences (position
      // 0) still do, so
      // queued prompts predicted ahead on the hash thread are not computed again for SIDA-mode
      // routing.
      recent.keySet().removeIf(k -> k.position() != 0);
    }
    float[][][] p = session.prefill(input.tokenIds());
    recent.put(key, p);
    return p;
  }

  @Override
  public BitSet predict(LayerInput input) {
    if (input.routingLayer() < 0) {
      return null; // a dense layer
    }
    float[][][] p = forPass(input);
    BitSet expected = new BitSet(input.config().experts());
    for (float[][] token : p) {
      for (int e :
          VectorMath.topK(
              token[input.routingLayer()], 0, token[input.routingLayer()].length, topK)) {
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
      System.arraycopy(p[t][input.routingLayer()], 0, out, t * experts, experts);
    }
  }

  @Override
  public boolean needsHiddenState() {
    return false;
  }
}
