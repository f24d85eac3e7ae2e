package dev.ringmoe.seq2seq;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.EncoderDecoderConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.model.ExpertWeights;
import dev.ringmoe.model.GlobalWeights;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.model.NonFiniteException;
import dev.ringmoe.model.PredictorException;
import dev.ringmoe.model.RmsNorm;
import dev.ringmoe.model.RoutingListener;
import dev.ringmoe.model.RoutingPredictor;
import dev.ringmoe.model.WeightStore;
import dev.ringmoe.moe.ExpertSource;
import dev.ringmoe.moe.FeedForward;
import dev.ringmoe.moe.Router;
import dev.ringmoe.moe.Routing;
import dev.ringmoe.moe.SparseMoeBlock;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.tensor.VectorMath;
import java.util.BitSet;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward pass of a T5-style encoder-decoder with Switch Transformers' sparse layers, computing
 * in float32 what Hugging Face's {@code modeling_switch_transformers.py} computes, read top to
 * bottom: {@link #encode} runs the encoder stack over the input ids (self-attention with the
 * bidirectional relative bias, then the layer's feed-forward network: a dense ReLU MLP or the top-1
 * router over ReLU experts) and its final norm; {@link #decode} runs decoder tokens against a
 * {@link DecoderState} (causal self-attention with the decoder's relative bias over the state's
 * keys and values, cross-attention over the encoder output, the feed-forward network), then the
 * decoder's final norm and the LM head.
 *
 * <p>What is shared with the decoder-only families is shared code: {@link RmsNorm} (T5's layer norm
 * is the same RMS norm), the {@link Router} (softmax, top-1: the expert's weight is its
 * probability), the {@link SparseMoeBlock} and {@link FeedForward} (the ReLU network of weights
 * without a gate), and the {@link WeightStore}, whose layers are the encoder's then the decoder's
 * ({@link EncoderDecoderConfig}), so that the ring and the expert cache stream both stacks'
 * experts. Expert capacity is applied per forward call in token order, as Hugging Face does: a
 * token routed to an expert that already took {@code expert_capacity} tokens of the call skips it
 * and its output is its router probability times its normalised input.
 *
 * <p>Not thread-safe: one instance serves one thread at a time. It owns no weights.
 */
public final class EncoderDecoder {
  private final ModelConfig config;
  private final EncoderDecoderConfig ed;
  private final WeightStore weights;
  private final int hidden;
  private final int heads;
  private final int headDim;
  private final int inner;
  private final Router router;
  private RoutingListener routingListener;
  private RoutingPredictor sidaRouter;
  private RuntimeException sidaFailure;
  private int[] passTokens;
  private int passPosition;
  private String pass;

  /**
   * @throws IllegalArgumentException if {@code config} is not an encoder-decoder
   */
  public EncoderDecoder(ModelConfig config, WeightStore weights) {
    this.config = Preconditions.checkNotNull(config);
    this.ed = config.encoderDecoder();
    Preconditions.checkArgument(ed != null, "%s is not an encoder-decoder", config);
    this.weights = Preconditions.checkNotNull(weights);
    this.hidden = config.hiddenSize();
    this.heads = config.heads();
    this.headDim = config.headDim();
    this.inner = heads * headDim;
    this.router = Router.softmaxTopK(config.experts(), config.topK(), false);
  }

  public ModelConfig config() {
    return config;
  }

  /**
   * SiDA's mode: the encoder's sparse layers route by {@code predictor}'s probabilities instead of
   * their routers (the decoder's keep their routers); {@code null} restores the routers.
   * Approximate: outputs then differ from the model's.
   */
  public void sidaRouting(RoutingPredictor predictor) {
    this.sidaRouter = predictor;
  }

  /** Sets (or, with {@code null}, removes) the observer of later passes' routing. */
  public void routingListener(RoutingListener listener) {
    this.routingListener = listener;
  }

  /**
   * Runs the encoder over {@code ids}.
   *
   * @throws IllegalArgumentException if {@code ids} is empty or holds an id outside the vocabulary
   */
  public EncoderOutput encode(int[] ids) {
    checkIds(ids);
    int n = ids.length;
    pass = "the encoder pass";
    passTokens = ids;
    passPosition = 0;
    sidaFailure = null;
    float[] x = embed(ids);
    weights.passStarting(ids, 0, x);
    if (routingListener != null) {
      routingListener.embeddings(ids, 0, x);
    }
    RelativePositionBias bias = null;
    for (int layer = 0; layer < ed.encoderLayers(); layer++) {
      LayerWeights lw = weights.acquireLayer(layer);
      try {
        if (layer == 0) {
          bias = bias(lw, true);
        }
        float[] normed = norm(x, n, lw.vector(Role.INPUT_NORM));
        float[] q = linear(normed, n, lw.matrix(Role.QUERY));
        float[] k = linear(normed, n, lw.matrix(Role.KEY));
        float[] v = linear(normed, n, lw.matrix(Role.VALUE));
        float[] attended = attend(q, n, 0, k, v, n, false, bias);
        add(x, linear(attended, n, lw.matrix(Role.OUTPUT)));
        checkFinite(x, layer, "the hidden state after self-attention");
        feedForward(layer, lw, x, n);
      } finally {
        weights.releaseLayer(layer);
      }
      checkFinite(x, layer, "the hidden state after the feed-forward network");
      weights.layerFinished(layer, x);
    }
    weights.passFinished();
    if (sidaFailure != null) {
      throw new PredictorException(
          "the routing predictor failed during the encoder pass over "
              + n
              + " token(s) ("
              + sidaFailure
              + "); the routers decided the rest of the pass",
          sidaFailure);
    }
    return new EncoderOutput(ids, norm(x, n, weights.globals().encoderFinalNorm()), hidden);
  }

  /**
   * The most decoder positions a state can reach: the model's, or fewer when a streaming store's
   * budget reserved a smaller KV cache.
   */
  public int maxDecoderPositions() {
    return Math.min(config.maxPositions(), weights.kvPositions());
  }

  /** A new decoding sequence against {@code encoder}. */
  public DecoderState newState(EncoderOutput encoder) {
    Preconditions.checkArgument(
        encoder.width() == hidden, "encoder output of width %s, model %s", encoder.width(), hidden);
    return new DecoderState(encoder, ed.decoderLayers(), inner);
  }

  /**
   * Runs {@code tokens} at the decoder positions after those already in {@code state}, appends
   * their keys and values to it and returns logits: of every token ([tokens * vocab], row-major)
   * when {@code allPositions}, else of the last ([vocab]).
   *
   * @throws IllegalArgumentException if {@code tokens} is empty or holds an id outside the
   *     vocabulary
   */
  public float[] decode(DecoderState state, int[] tokens, boolean allPositions) {
    checkIds(tokens);
    int n = tokens.length;
    int start = state.length();
    // a streaming store's budget holds the KV cache of this many positions
    Preconditions.checkArgument(
        (long) start + n <= weights.kvPositions(),
        "the decoder would reach %s positions; the store's budget holds a KV cache of %s"
            + " (MoeModel.Builder.kvPositions, --kv-positions)",
        (long) start + n,
        weights.kvPositions());
    pass = "the decoder pass at position " + start;
    state.reserve(n);
    float[] x = embed(tokens);
    weights.passStarting(tokens, start, x);
    if (routingListener != null) {
      routingListener.embeddings(tokens, start, x);
    }
    float[] encoder = state.encoder().values();
    int sourceLength = state.encoder().length();
    RelativePositionBias bias = null;
    for (int d = 0; d < ed.decoderLayers(); d++) {
      int layer = ed.encoderLayers() + d;
      LayerWeights lw = weights.acquireLayer(layer);
      try {
        if (d == 0) {
          bias = bias(lw, false);
        }
        float[] normed = norm(x, n, lw.vector(Role.INPUT_NORM));
        float[] q = linear(normed, n, lw.matrix(Role.QUERY));
        System.arraycopy(
            linear(normed, n, lw.matrix(Role.KEY)), 0, state.keys[d], start * inner, n * inner);
        System.arraycopy(
            linear(normed, n, lw.matrix(Role.VALUE)), 0, state.values[d], start * inner, n * inner);
        float[] attended =
            attend(q, n, start, state.keys[d], state.values[d], start + n, true, bias);
        add(x, linear(attended, n, lw.matrix(Role.OUTPUT)));
        checkFinite(x, layer, "the hidden state after self-attention");

        normed = norm(x, n, lw.vector(Role.CROSS_NORM));
        q = linear(normed, n, lw.matrix(Role.CROSS_QUERY));
        if (state.crossKeys[d] == null) {
          // the encoder output's keys and values are the same for every step: projected once
          state.crossKeys[d] = linear(encoder, sourceLength, lw.matrix(Role.CROSS_KEY));
          state.crossValues[d] = linear(encoder, sourceLength, lw.matrix(Role.CROSS_VALUE));
        }
        attended =
            attend(
                q, n, start, state.crossKeys[d], state.crossValues[d], sourceLength, false, null);
        add(x, linear(attended, n, lw.matrix(Role.CROSS_OUTPUT)));
        checkFinite(x, layer, "the hidden state after cross-attention");
        feedForward(layer, lw, x, n);
      } finally {
        weights.releaseLayer(layer);
      }
      checkFinite(x, layer, "the hidden state after the feed-forward network");
      weights.layerFinished(layer, x);
    }
    state.advance(n);
    weights.passFinished();
    return logits(x, n, allPositions);
  }

  /** The decoder's final norm, T5's rescaling when the LM head is the embedding, the LM head. */
  private float[] logits(float[] x, int n, boolean allPositions) {
    int rows = allPositions ? n : 1;
    float[] tail = new float[rows * hidden];
    System.arraycopy(x, (n - rows) * hidden, tail, 0, rows * hidden);
    GlobalWeights globals = weights.globals();
    float[] normed = norm(tail, rows, globals.finalNorm());
    if (config.tieWordEmbeddings()) {
      float scale = (float) Math.pow(hidden, -0.5);
      for (int i = 0; i < normed.length; i++) {
        normed[i] *= scale;
      }
    }
    float[] out = linear(normed, rows, globals.lmHead());
    int bad = VectorMath.firstNonFinite(out, 0, out.length);
    if (bad >= 0) {
      throw new NonFiniteException(
          String.format(
              Locale.ROOT,
              "the LM head: the logit is %s at row %d, index %d of %s",
              out[bad],
              bad / config.vocabSize(),
              bad % config.vocabSize(),
              pass));
    }
    return out;
  }

  /**
   * The layer's feed-forward block with its residual: the norm, then the dense ReLU MLP or the
   * top-1 sparse block.
   */
  private void feedForward(int layer, LayerWeights lw, float[] x, int n) {
    float[] normed = norm(x, n, lw.vector(Role.POST_ATTENTION_NORM));
    float[] out = new float[n * hidden];
    if (config.isMoeLayer(layer)) {
      sparse(layer, lw, x, normed, n, out);
    } else {
      ExpertWeights mlp =
          new ExpertWeights(
              lw.has(Role.MLP_GATE) ? lw.matrix(Role.MLP_GATE) : null,
              lw.matrix(Role.MLP_UP),
              lw.matrix(Role.MLP_DOWN));
      try (FeedForward f = new FeedForward(n);
          INDArray in = matrix(normed, n, hidden);
          INDArray result = Tensors.matrix(n, hidden)) {
        f.forward(mlp, in, n, result);
        result.data().asNioFloat().get(0, out);
      }
    }
    add(x, out);
  }

  /** Switch Transformers' sparse MLP: top-1 routing, expert capacity, probability scaling. */
  private void sparse(int layer, LayerWeights lw, float[] x, float[] normed, int n, float[] out) {
    int experts = config.experts();
    float[] logits = null;
    if (sidaRouter != null && sidaFailure == null && ed.isEncoderLayer(layer)) {
      try {
        logits = predictedLogits(layer, lw, x, n);
      } catch (RuntimeException e) {
        sidaFailure = e; // the routers take over for the rest of the pass; reported after it
      }
    }
    if (logits == null) {
      logits = linear(normed, n, lw.matrix(Role.ROUTER));
    }
    int bad = VectorMath.firstNonFinite(logits, 0, n * experts);
    if (bad >= 0) {
      throw new NonFiniteException(
          String.format(
              Locale.ROOT,
              "layer %d: the router logit is %s at token %d, expert %d of %s",
              layer,
              logits[bad],
              bad / experts,
              bad % experts,
              pass));
    }
    if (routingListener != null) {
      routingListener.hiddenBeforeMoe(layer, n, x);
      routingListener.routerLogits(layer, n, logits);
    }
    try (SparseMoeBlock block = new SparseMoeBlock(router, hidden, n)) {
      Routing routing = block.route(logits, n);
      // capacity: the first expert_capacity tokens of the call (in order) routed to an expert keep
      // it
      int[] taken = new int[experts];
      int[] kept = new int[n];
      int keptCount = 0;
      for (int t = 0; t < n; t++) {
        if (++taken[routing.expert(t, 0)] <= ed.expertCapacity()) {
          kept[keptCount++] = t;
        }
      }
      Routing run = routing;
      float[] input = normed;
      if (keptCount < n) {
        run = new Routing(keptCount, 1);
        input = new float[keptCount * hidden];
        for (int m = 0; m < keptCount; m++) {
          run.set(m, 0, routing.expert(kept[m], 0), routing.weight(kept[m], 0));
          System.arraycopy(normed, kept[m] * hidden, input, m * hidden, hidden);
        }
      }
      BitSet used = keptCount > 0 ? run.used() : new BitSet();
      weights.routed(layer, used, x);
      if (keptCount > 0) {
        float[] result = keptCount < n ? new float[keptCount * hidden] : out;
        block.forward(run, input, source(layer), result);
        if (keptCount < n) {
          for (int m = 0; m < keptCount; m++) {
            System.arraycopy(result, m * hidden, out, kept[m] * hidden, hidden);
          }
        }
      }
      if (keptCount < n) {
        boolean[] isKept = new boolean[n];
        for (int m = 0; m < keptCount; m++) {
          isKept[kept[m]] = true;
        }
        for (int t = 0; t < n; t++) {
          if (!isKept[t]) {
            // Hugging Face: a dropped token's expert output is its input, then scaled by its
            // probability
            float p = routing.weight(t, 0);
            for (int i = 0; i < hidden; i++) {
              out[t * hidden + i] = p * normed[t * hidden + i];
            }
          }
        }
      }
    }
  }

  /**
   * SiDA's predicted probabilities as logits (log p), so that the router applies the same softmax
   * and top-1 to them as to its own.
   */
  private float[] predictedLogits(int layer, LayerWeights lw, float[] x, int n) {
    int experts = config.experts();
    float[] p = new float[n * experts];
    sidaRouter.probabilities(LayerInput.of(config, layer, passTokens, passPosition, x, lw), p);
    int bad = VectorMath.firstNonFinite(p, 0, p.length);
    if (bad >= 0) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "layer %d: the routing predictor gave probability %s for token %d, expert %d",
              layer,
              p[bad],
              bad / experts,
              bad % experts));
    }
    float[] logits = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      logits[i] = (float) Math.log(Math.max(p[i], 1e-30f));
    }
    return logits;
  }

  private ExpertSource source(int layer) {
    return new ExpertSource() {
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

  /**
   * Softmax attention of {@code n} queries (at positions {@code start..start+n-1}) over {@code
   * keyCount} keys, per head, with T5's unscaled scores plus the relative bias when there is one;
   * causal attention sees keys up to its own position.
   */
  private float[] attend(
      float[] q,
      int n,
      int start,
      float[] keys,
      float[] values,
      int keyCount,
      boolean causal,
      RelativePositionBias bias) {
    float[] out = new float[n * inner];
    float[] scores = new float[keyCount];
    for (int t = 0; t < n; t++) {
      int position = start + t;
      int visible = causal ? position + 1 : keyCount;
      for (int h = 0; h < heads; h++) {
        int qOff = t * inner + h * headDim;
        for (int j = 0; j < visible; j++) {
          int kOff = j * inner + h * headDim;
          float s = 0f;
          for (int d = 0; d < headDim; d++) {
            s += q[qOff + d] * keys[kOff + d];
          }
          scores[j] = bias == null ? s : s + bias.bias(h, position, j);
        }
        VectorMath.softmax(scores, 0, visible, scores, 0);
        for (int j = 0; j < visible; j++) {
          float p = scores[j];
          int vOff = j * inner + h * headDim;
          for (int d = 0; d < headDim; d++) {
            out[qOff + d] += p * values[vOff + d];
          }
        }
      }
    }
    return out;
  }

  /** The stack's relative bias table, read out of its first layer (shared by the stack). */
  private RelativePositionBias bias(LayerWeights lw, boolean bidirectional) {
    INDArray w = lw.matrix(Role.RELATIVE_ATTENTION_BIAS);
    float[] table = new float[ed.relativeBuckets() * heads];
    for (int b = 0; b < ed.relativeBuckets(); b++) {
      Tensors.readRow(w, b, table, b * heads);
    }
    return new RelativePositionBias(
        table, heads, ed.relativeBuckets(), ed.relativeMaxDistance(), bidirectional);
  }

  private float[] embed(int[] ids) {
    float[] x = new float[ids.length * hidden];
    GlobalWeights globals = weights.globals();
    for (int t = 0; t < ids.length; t++) {
      globals.embed(ids[t], x, t * hidden);
    }
    return x;
  }

  private float[] norm(float[] x, int rows, float[] weight) {
    float[] out = new float[rows * hidden];
    for (int r = 0; r < rows; r++) {
      RmsNorm.row(x, r * hidden, out, r * hidden, weight, hidden, config.rmsNormEps());
    }
    return out;
  }

  /** {@code x · wᵀ} for the first {@code rows} rows of {@code x}, into a new array. */
  private static float[] linear(float[] x, int rows, INDArray w) {
    int in = (int) w.columns();
    int outCols = (int) w.rows();
    float[] out = new float[rows * outCols];
    try (INDArray a = matrix(x, rows, in);
        INDArray y = Tensors.matrix(rows, outCols)) {
      Tensors.linear(a, w, y);
      y.data().asNioFloat().get(0, out);
    }
    return out;
  }

  private static INDArray matrix(float[] x, int rows, int cols) {
    INDArray a = Tensors.matrix(rows, cols);
    a.data().asNioFloat().put(0, x, 0, rows * cols);
    return a;
  }

  private static void add(float[] x, float[] y) {
    for (int i = 0; i < x.length; i++) {
      x[i] += y[i];
    }
  }

  private void checkIds(int[] ids) {
    Preconditions.checkArgument(ids != null && ids.length > 0, "no tokens to run");
    for (int t : ids) {
      Preconditions.checkArgument(
          t >= 0 && t < config.vocabSize(),
          "token id %s is outside the vocabulary [0, %s)",
          t,
          config.vocabSize());
    }
  }

  private void checkFinite(float[] x, int layer, String what) {
    int i = VectorMath.firstNonFinite(x, 0, x.length);
    if (i >= 0) {
      throw new NonFiniteException(
          String.format(
              Locale.ROOT,
              "layer %d (%s layer %d): %s is %s at token %d, index %d of %s; the checkpoint's"
                  + " weights hold non-finite values or the activations overflow float32",
              layer,
              ed.isEncoderLayer(layer) ? "encoder" : "decoder",
              ed.stackIndex(layer),
              what,
              x[i],
              i / hidden,
              i % hidden,
              pass));
    }
  }
}
