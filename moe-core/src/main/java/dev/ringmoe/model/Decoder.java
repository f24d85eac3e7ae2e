package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.moe.ExpertSource;
import dev.ringmoe.moe.Router;
import dev.ringmoe.moe.Routing;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.tensor.VectorMath;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The MoE decoder's forward pass, written to be read top to bottom: embeddings, then per layer its
 * {@link Attention} and, chosen per layer from the config, either a sparse MoE block ({@link
 * dev.ringmoe.moe.SparseMoeBlock}, with the layer's shared expert if it has one) or a dense {@link
 * dev.ringmoe.moe.FeedForward}; finally RMSNorm and the LM head. It computes in float32 what
 * Hugging Face's modeling code of each supported family computes.
 *
 * <p>Matrix products run on ND4J ({@code gemm} into preallocated outputs); the small element-wise
 * work (norms, rotary embedding, attention over the cache, gating, SwiGLU) runs in plain Java,
 * where it is faster than ND4J's per-op overhead. Weights come from a {@link WeightStore}, acquired
 * just before use and released right after, so a streaming store sees the access order it needs.
 *
 * <p>Not thread-safe: one decoder serves one thread at a time. It owns its workspaces, not the
 * weights.
 */
public final class Decoder implements AutoCloseable {
  private final ModelConfig config;
  private final WeightStore weights;
  private final int hidden;
  private final Attention[] attention;
  private final Router router;
  private final ExpertSource[] layerExperts;
  private final Workspace single;
  private Workspace batch;
  private INDArray logitsRow;
  private RoutingListener routingListener;
  private RoutingPredictor sidaRouter;
  private int[] passTokens;
  private int passPosition;
  private FloatBuffer logitsRowBuffer;

  public Decoder(ModelConfig config, WeightStore weights) {
    this.config = Preconditions.checkNotNull(config);
    this.weights = Preconditions.checkNotNull(weights);
    this.hidden = config.hiddenSize();
    Rope rope = new Rope(config.headDim(), config.ropeTheta());
    this.attention = new Attention[config.layers()];
    for (int l = 0; l < attention.length; l++) {
      attention[l] = new Attention(config, l, config.slidingWindow(), rope);
    }
    this.router = router(config);
    this.single = new Workspace(config, router, 1);
    this.layerExperts = new ExpertSource[config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      int layer = l;
      layerExperts[l] =
          new ExpertSource() {
            @Override
            public ExpertWeights acquire(int expert) {
              return weights.acquireExpert(layer, expert);
            }

            @Override
            public void release(int expert) {
              weights.releaseExpert(layer, expert);
            }
          };
    }
  }

  public ModelConfig config() {
    return config;
  }

  /** Sets (or, with {@code null}, removes) the observer of every later pass's routing. */
  public void routingListener(RoutingListener listener) {
    this.routingListener = listener;
  }

  /**
   * Replaces the router with {@code predictor}'s probabilities (SiDA's mode), or restores the
   * router with {@code null}. Approximate: logits then differ from the model's.
   */
  public void sidaRouting(RoutingPredictor predictor) {
    this.sidaRouter = predictor;
  }

  /**
   * A cache for one new sequence, for the model's maximum positions or the fewer the weight store's
   * budget gives the KV cache ({@link WeightStore#kvPositions()}).
   */
  public KvCache newCache() {
    int storeLimit = weights.kvPositions();
    if (storeLimit < config.maxPositions()) {
      return KvCache.of(
          config,
          storeLimit,
          "the KV cache's %d positions in the device budget (StoreOptions.withKvPositions,"
              + " MoeModel.Builder.kvPositions, --kv-positions)");
    }
    return KvCache.of(
        config, config.maxPositions(), "the model's maximum of %d (max_position_embeddings)");
  }

  /** The most positions one sequence may have: the model's, or fewer if the store's budget says. */
  public int maxPositions() {
    return Math.min(config.maxPositions(), weights.kvPositions());
  }

  /**
   * Runs {@code tokens} at the positions after those already in {@code cache}, appends their keys
   * and values to it, and returns logits.
   *
   * @param allPositions whether to return the logits of every token ([tokens * vocab], row-major)
   *     or only of the last ([vocab])
   * @throws IllegalArgumentException if a token id is outside the vocabulary or the sequence would
   *     exceed the model's maximum positions
   * @throws PredictorException after the pass, if the expert or routing predictor failed during it
   *     (the pass ran to the end with the router deciding; the cache holds its keys and values)
   */
  public float[] forward(int[] tokens, KvCache cache, boolean allPositions) {
    Preconditions.checkArgument(tokens.length > 0, "no tokens to run");
    for (int t : tokens) {
      Preconditions.checkArgument(
          t >= 0 && t < config.vocabSize(),
          "token id %s is outside the vocabulary [0, %s)",
          t,
          config.vocabSize());
    }
    cache.reserve(tokens.length);
    Workspace ws = workspace(tokens.length);
    embed(tokens, ws);
    passTokens = tokens;
    passPosition = cache.length();
    weights.passStarting(tokens, cache.length(), ws.residual);
    if (routingListener != null) {
      routingListener.embeddings(tokens, cache.length(), ws.residual);
    }
    RuntimeException sidaFailure = null;
    for (int layer = 0; layer < config.layers(); layer++) {
      LayerWeights lw = weights.acquireLayer(layer);
      try {
        attention[layer].forward(lw, ws, cache);
        checkFinite(
            ws.residual,
            ws.tokens,
            hidden,
            0,
            "layer " + layer,
            "the hidden state after attention");
        RmsNorm.apply(
            ws.residual,
            ws.normed,
            lw.vector(Role.POST_ATTENTION_NORM),
            ws.tokens,
            hidden,
            config.rmsNormEps());
        ws.normedNd.write(ws.normed, ws.tokens * hidden);
        if (config.isMoeLayer(layer)) {
          sidaFailure = routerLogits(layer, lw, ws, sidaFailure);
          moeBlock(layer, lw, ws);
        } else {
          mlp(lw, ws);
        }
      } finally {
        weights.releaseLayer(layer);
      }
      for (int i = 0; i < ws.tokens * hidden; i++) {
        ws.residual[i] += ws.moe[i];
      }
      checkFinite(
          ws.residual,
          ws.tokens,
          hidden,
          0,
          "layer " + layer,
          config.isMoeLayer(layer)
              ? "the hidden state after the MoE block"
              : "the hidden state after the MLP");
      weights.layerFinished(layer, ws.residual);
    }
    cache.advance(tokens.length);
    weights.passFinished();
    if (sidaFailure != null) {
      throw new PredictorException(
          String.format(
              "the routing predictor failed during the pass over %d token(s) at"
                  + " position %d (%s); the router decided the rest of the pass",
              tokens.length, passPosition, sidaFailure),
          sidaFailure);
    }
    return logits(ws, allPositions);
  }

  private Workspace workspace(int tokens) {
    if (tokens == 1) {
      return single;
    }
    if (batch == null || batch.tokens != tokens) {
      if (batch != null) {
        batch.close();
      }
      batch = new Workspace(config, router, tokens);
    }
    return batch;
  }

  private void embed(int[] tokens, Workspace ws) {
    embed(tokens, ws.residual);
  }

  private void embed(int[] tokens, float[] out) {
    GlobalWeights globals = weights.globals();
    for (int t = 0; t < tokens.length; t++) {
      globals.embed(tokens[t], out, t * hidden);
    }
  }

  /**
   * Announces a pass that will run later, at {@code position} of its own sequence (a queued
   * request), so that a streaming store can start predicting its experts now ({@link
   * WeightStore#passQueued}).
   *
   * @throws IllegalArgumentException if a token id is outside the vocabulary
   */
  public void queue(int[] tokens, int position) {
    Preconditions.checkArgument(tokens.length > 0, "no tokens to queue");
    for (int t : tokens) {
      Preconditions.checkArgument(
          t >= 0 && t < config.vocabSize(),
          "token id %s is outside the vocabulary [0, %s)",
          t,
          config.vocabSize());
    }
    float[] embeddings = new float[tokens.length * hidden];
    embed(tokens, embeddings);
    weights.passQueued(tokens, position, embeddings);
  }

  /**
   * Fills {@code ws.routerLogits} for the layer: the router's, or in SiDA's mode the routing
   * predictor's (while it has not failed in this pass). Returns the predictor's failure, if it
   * fails now or failed before.
   */
  private RuntimeException routerLogits(
      int layer, LayerWeights lw, Workspace ws, RuntimeException sidaFailure) {
    boolean predicted = false;
    if (sidaRouter != null && sidaFailure == null) {
      try {
        predictedRouting(layer, lw, ws);
        predicted = true;
      } catch (RuntimeException e) {
        sidaFailure =
            e; // the router takes over for the rest of the pass; reported when the pass is done
      }
    }
    if (!predicted) {
      Tensors.linear(ws.normedNd.array(), lw.matrix(Role.ROUTER), ws.routerNd.array());
      ws.routerNd.read(ws.routerLogits, ws.tokens * config.experts());
      checkFinite(
          ws.routerLogits, ws.tokens, config.experts(), 0, "layer " + layer, "the router logit");
    }
    if (routingListener != null) {
      routingListener.hiddenBeforeMoe(layer, ws.tokens, ws.residual);
      routingListener.routerLogits(layer, ws.tokens, ws.routerLogits);
    }
    return sidaFailure;
  }

  /**
   * The sparse MoE block: routes every token, tells the store which experts were chosen (so a
   * streaming store starts their loads at once), runs them, then adds the shared expert if the
   * layer has one.
   */
  private void moeBlock(int layer, LayerWeights lw, Workspace ws) {
    Routing routing = ws.moeBlock.route(ws.routerLogits, ws.tokens);
    weights.routed(layer, routing.used(), ws.residual);
    ws.moeBlock.forward(routing, ws.normed, layerExperts[layer], ws.moe);
    if (lw.has(Role.SHARED_GATE)) {
      ExpertWeights shared =
          new ExpertWeights(
              lw.matrix(Role.SHARED_GATE), lw.matrix(Role.SHARED_UP), lw.matrix(Role.SHARED_DOWN));
      INDArray gate = lw.has(Role.SHARED_EXPERT_GATE) ? lw.matrix(Role.SHARED_EXPERT_GATE) : null;
      ws.moeBlock.addSharedExpert(shared, gate, ws.normedNd.rows(ws.tokens), ws.tokens, ws.moe);
    }
  }

  /** A dense layer's MLP (a layer without experts, such as Qwen2-MoE's {@code mlp_only_layers}). */
  private void mlp(LayerWeights lw, Workspace ws) {
    ExpertWeights w =
        new ExpertWeights(
            lw.matrix(Role.MLP_GATE), lw.matrix(Role.MLP_UP), lw.matrix(Role.MLP_DOWN));
    ws.mlp.forward(w, ws.normedNd.rows(ws.tokens), ws.tokens, ws.mlpOut.rows(ws.tokens));
    ws.mlpOut.read(ws.moe, ws.tokens * hidden);
  }

  /**
   * SiDA's mode: the predicted probabilities stand in for the router. They are turned back into
   * logits (log p), so that the router applies the same softmax, top-k and renormalisation to them
   * as to the router's output.
   */
  private void predictedRouting(int layer, LayerWeights lw, Workspace ws) {
    int n = ws.tokens;
    int experts = config.experts();
    float[] probabilities = new float[n * experts];
    sidaRouter.probabilities(
        LayerInput.of(config, layer, passTokens, passPosition, ws.residual, lw), probabilities);
    int bad = VectorMath.firstNonFinite(probabilities, 0, n * experts);
    if (bad >= 0) {
      // a predictor's fault, not the model's: reported as a PredictorException while the router
      // takes over
      throw new IllegalStateException(
          String.format(
              "layer %d: the routing predictor gave probability %s for token" + " %d, expert %d",
              layer, probabilities[bad], bad / experts, bad % experts));
    }
    for (int i = 0; i < n * experts; i++) {
      ws.routerLogits[i] = (float) Math.log(Math.max(probabilities[i], 1e-30f));
    }
  }

  /** The router the config describes. */
  static Router router(ModelConfig config) {
    return Router.softmaxTopK(
        config.experts(), config.topK(), config.gate() == GateKind.SOFTMAX_TOPK_RENORMALISED);
  }

  /**
   * Throws {@link NonFiniteException} naming {@code where}, {@code what}, the token and the column
   * if any of the first {@code tokens * width} values is NaN or infinite; row 0 is the pass's token
   * {@code firstToken}.
   */
  private void checkFinite(
      float[] values, int tokens, int width, int firstToken, String where, String what) {
    int i = VectorMath.firstNonFinite(values, 0, tokens * width);
    if (i >= 0) {
      int token = firstToken + i / width;
      throw new NonFiniteException(
          String.format(
              java.util.Locale.ROOT,
              "%s: %s is %s at token %d of the pass (position %d), index %d; the checkpoint's weights hold non-finite"
                  + " values or the activations overflow float32",
              where,
              what,
              values[i],
              token,
              passPosition + token,
              i % width));
    }
  }

  private float[] logits(Workspace ws, boolean allPositions) {
    int vocab = config.vocabSize();
    int rows = allPositions ? ws.tokens : 1;
    int firstRow = ws.tokens - rows;
    float[] tail = Arrays.copyOfRange(ws.residual, firstRow * hidden, ws.tokens * hidden);
    float[] normed = new float[rows * hidden];
    RmsNorm.apply(tail, normed, weights.globals().finalNorm, rows, hidden, config.rmsNormEps());
    float[] out = new float[rows * vocab];
    if (rows == 1) {
      if (logitsRow == null) {
        logitsRow = Tensors.matrix(1, vocab);
        logitsRowBuffer = logitsRow.data().asNioFloat();
      }
      single.normedNd.write(normed, hidden);
      Tensors.linear(single.normedNd.array(), weights.globals().lmHead, logitsRow);
      logitsRowBuffer.get(0, out);
      checkFinite(out, 1, vocab, firstRow, "the LM head", "the logit");
      return out;
    }
    try (INDArray x = Tensors.matrix(rows, hidden);
        INDArray y = Tensors.matrix(rows, vocab)) {
      x.data().asNioFloat().put(0, normed);
      Tensors.linear(x, weights.globals().lmHead, y);
      y.data().asNioFloat().get(0, out);
    }
    checkFinite(out, rows, vocab, firstRow, "the LM head", "the logit");
    return out;
  }

  @Override
  public void close() {
    single.close();
    if (batch != null) {
      batch.close();
      batch = null;
    }
    if (logitsRow != null) {
      logitsRow.close();
      logitsRow = null;
    }
  }
}
