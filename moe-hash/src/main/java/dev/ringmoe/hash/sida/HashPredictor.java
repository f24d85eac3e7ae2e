package dev.ringmoe.hash.sida;

import dev.ringmoe.tensor.VectorMath;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Serving form of a {@link SidaHashNetwork}. Given token ids it looks their embeddings up in the
 * model's embedding table and returns, for every token and every MoE layer, a probability vector
 * over the experts (softmax of the head's logits). {@link #newSession()} gives the streaming form:
 * because the network is causal, feeding tokens one at a time returns exactly what the
 * full-sequence forward returns at each position.
 *
 * <p>The matrix products run on ND4J ({@link Engine#ND4J}, the default: {@code Nd4j.gemm} over
 * float32 copies of the weights): a prompt's input, LSTM-input, residual and head projections as
 * one product over all its tokens, the LSTM recurrence token by token; gates, attention and softmax
 * run in plain Java, where ND4J's per-op overhead would exceed the work. {@link Engine#JAVA} does
 * everything in plain Java (for comparison; {@code HashPredictorBenchmark} measures both).
 *
 * <p>Thread-safe for concurrent sessions; a session itself is not thread-safe. Owns the native
 * copies of the weights: {@link #close()} frees them (later use fails); unclosed, they are freed
 * when the predictor is garbage-collected.
 */
public final class HashPredictor implements AutoCloseable {

  /** Where the matrix products run. */
  public enum Engine {
    ND4J,
    JAVA
  }

  private final HashNetworkConfig cfg;
  private final Engine engine;
  private final float[] embeddings;
  private final int vocab;
  private final Weight in;
  private final Weight[] wx;
  private final Weight[] wr;
  private final Weight res;
  private final Weight head;
  private final float[] inB;
  private final float[][] lb;
  private final float[] resB;
  private final float[] headB;
  private volatile boolean closed;

  /**
   * A weight matrix [rows, cols] row-major (out = x · W), with its ND4J copy when the engine is
   * ND4J.
   */
  private static final class Weight {
    final float[] w;
    final int rows;
    final int cols;
    final INDArray nd;

    Weight(float[] w, int rows, int cols, Engine engine) {
      if (w.length != rows * cols) {
        throw new IllegalArgumentException(
            "weight of " + w.length + " floats is not [" + rows + ", " + cols + "]");
      }
      this.w = w;
      this.rows = rows;
      this.cols = cols;
      this.nd = engine == Engine.ND4J ? Nd4j.create(w, new long[] {rows, cols}, 'c') : null;
    }
  }

  HashPredictor(SidaHashNetwork net, float[] embeddingTable, Engine engine) {
    this.cfg = net.config();
    this.engine = engine;
    int d = cfg.dModel();
    int h = cfg.hidden();
    if (embeddingTable.length % d != 0) {
      throw new IllegalArgumentException(
          "embedding table of " + embeddingTable.length + " floats is not [vocab*" + d + "]");
    }
    this.embeddings = embeddingTable;
    this.vocab = embeddingTable.length / d;
    in = new Weight(net.param("in_W"), d, h, engine);
    inB = net.param("in_b");
    int n = HashNetworkConfig.LSTM_LAYERS;
    wx = new Weight[n];
    wr = new Weight[n];
    lb = new float[n][];
    for (int l = 0; l < n; l++) {
      wx[l] = new Weight(net.param("lstm" + l + "_Wx"), h, 4 * h, engine);
      wr[l] = new Weight(net.param("lstm" + l + "_Wr"), h, 4 * h, engine);
      lb[l] = net.param("lstm" + l + "_b");
    }
    res = new Weight(net.param("res_W"), h, h, engine);
    resB = net.param("res_b");
    head = new Weight(net.param("head_W"), h, cfg.layers() * cfg.experts(), engine);
    headB = net.param("head_b");
  }

  /** The engine the matrix products run on. */
  public Engine engine() {
    return engine;
  }

  public HashNetworkConfig config() {
    return cfg;
  }

  public Session newSession() {
    return new Session();
  }

  /** Per-token, per-layer expert probabilities of a whole sequence: [tokens][layers][experts]. */
  public float[][][] predict(int[] ids) {
    return newSession().prefill(ids);
  }

  /**
   * Raw head logits [tokens][layers*experts] from given embedding rows (for checking against the
   * graph).
   */
  public float[][] logitsFromEmbeddings(float[][] emb) {
    int d = cfg.dModel();
    float[] flat = new float[emb.length * d];
    for (int t = 0; t < emb.length; t++) {
      System.arraycopy(emb[t], 0, flat, t * d, d);
    }
    float[] logits = new Session().forward(flat, emb.length);
    int width = cfg.layers() * cfg.experts();
    float[][] out = new float[emb.length][];
    for (int t = 0; t < emb.length; t++) {
      out[t] = Arrays.copyOfRange(logits, t * width, (t + 1) * width);
    }
    return out;
  }

  /** Streaming state: the two LSTM layers' (h, c) and the attention keys seen so far. */
  public final class Session {
    private final int h = cfg.hidden();
    private final float[][] hState = new float[HashNetworkConfig.LSTM_LAYERS][h];
    private final float[][] cState = new float[HashNetworkConfig.LSTM_LAYERS][h];
    private final List<float[]> keys = new ArrayList<>();

    /** Number of tokens consumed so far. */
    public int position() {
      return keys.size();
    }

    /** Feeds a prompt; returns [tokens][layers][experts] probabilities for each of its tokens. */
    public float[][][] prefill(int[] ids) {
      int d = cfg.dModel();
      float[] emb = new float[ids.length * d];
      for (int t = 0; t < ids.length; t++) {
        if (ids[t] < 0 || ids[t] >= vocab) {
          throw new IllegalArgumentException(
              "token id " + ids[t] + " outside vocabulary of " + vocab);
        }
        System.arraycopy(embeddings, ids[t] * d, emb, t * d, d);
      }
      float[] logits = forward(emb, ids.length);
      int le = cfg.experts();
      int width = cfg.layers() * le;
      float[][][] out = new float[ids.length][cfg.layers()][];
      for (int t = 0; t < ids.length; t++) {
        for (int l = 0; l < cfg.layers(); l++) {
          out[t][l] = softmax(logits, t * width + l * le, le);
        }
      }
      return out;
    }

    /** Feeds one token; returns its [layers][experts] probabilities. */
    public float[][] step(int tokenId) {
      return prefill(new int[] {tokenId})[0];
    }

    /**
     * Head logits [tokens * layers * experts] of {@code tokens} new tokens, continuing the session,
     * from their embeddings [tokens * dModel].
     */
    float[] forward(float[] emb, int tokens) {
      if (closed) {
        throw new IllegalStateException("the hash predictor is closed");
      }
      float[] x = linear(emb, tokens, in, inB);
      for (int i = 0; i < x.length; i++) {
        x[i] = Math.max(0f, x[i]);
      }
      float[] layerIn = x;
      for (int l = 0; l < HashNetworkConfig.LSTM_LAYERS; l++) {
        float[] zx =
            linear(layerIn, tokens, wx[l], lb[l]); // the input projection of every token at once
        float[] out = new float[tokens * h];
        float[] c = cState[l];
        for (int t = 0; t < tokens; t++) {
          float[] z = linear(hState[l], 1, wr[l], null); // the recurrence, token by token
          float[] hn = new float[h];
          int o = t * 4 * h;
          for (int j = 0; j < h; j++) {
            float ig = sigmoid(z[j] + zx[o + j]);
            float fg = sigmoid(z[h + j] + zx[o + h + j]);
            float gg = (float) Math.tanh(z[2 * h + j] + zx[o + 2 * h + j]);
            float og = sigmoid(z[3 * h + j] + zx[o + 3 * h + j]);
            c[j] = fg * c[j] + ig * gg;
            hn[j] = og * (float) Math.tanh(c[j]);
          }
          hState[l] = hn;
          System.arraycopy(hn, 0, out, t * h, h);
        }
        layerIn = out;
      }
      float[] z = linear(x, tokens, res, resB);
      for (int t = 0; t < tokens; t++) {
        float[] q = Arrays.copyOfRange(layerIn, t * h, (t + 1) * h);
        keys.add(q);
        attend(q, z, t * h);
      }
      return linear(z, tokens, head, headB);
    }

    /**
     * Adds the causal attention over the keys so far, for query {@code q}, to {@code z[off .. off +
     * h)}.
     */
    private void attend(float[] q, float[] z, int off) {
      int n = keys.size();
      float[] scores = new float[n];
      for (int s = 0; s < n; s++) {
        float[] k = keys.get(s);
        float acc = 0;
        for (int j = 0; j < h; j++) {
          acc += q[j] * k[j];
        }
        scores[s] = acc;
      }
      float[] a =
          cfg.attention() == HashNetworkConfig.Attention.SPARSEMAX
              ? sparsemax(scores)
              : softmax(scores, 0, n);
      double sum = 0;
      for (float v : a) {
        sum += v;
      }
      for (int s = 0; s < n; s++) {
        float w = (float) (a[s] / (sum + 1e-12));
        if (w == 0f) {
          continue;
        }
        float[] k = keys.get(s);
        for (int j = 0; j < h; j++) {
          z[off + j] += w * k[j];
        }
      }
    }
  }

  /** {@code x · W + b} for {@code rows} rows of {@code x} (row-major); {@code b} may be null. */
  private float[] linear(float[] x, int rows, Weight w, float[] b) {
    float[] out = new float[rows * w.cols];
    if (engine == Engine.ND4J) {
      try (INDArray xa = Nd4j.create(x, new long[] {rows, w.rows}, 'c');
          INDArray oa = Nd4j.createUninitialized(DataType.FLOAT, rows, w.cols)) {
        Nd4j.gemm(xa, w.nd, oa, false, false, 1.0, 0.0);
        FloatBuffer result = oa.data().asNioFloat();
        result.get(out, 0, out.length);
      }
    } else {
      for (int r = 0; r < rows; r++) {
        float[] row = Arrays.copyOfRange(x, r * w.rows, (r + 1) * w.rows);
        float[] o = new float[w.cols];
        addMatVec(row, w.w, o);
        System.arraycopy(o, 0, out, r * w.cols, w.cols);
      }
    }
    if (b != null) {
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < w.cols; j++) {
          out[r * w.cols + j] += b[j];
        }
      }
    }
    return out;
  }

  /** Frees the native copies of the weights. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Weight w : allWeights()) {
      if (w.nd != null) {
        w.nd.close();
      }
    }
  }

  private List<Weight> allWeights() {
    List<Weight> all = new ArrayList<>(List.of(in, res, head));
    all.addAll(Arrays.asList(wx));
    all.addAll(Arrays.asList(wr));
    return all;
  }

  static float sigmoid(float v) {
    return (float) (1.0 / (1.0 + Math.exp(-v)));
  }

  static void addMatVec(float[] x, float[] w, float[] out) {
    int n = out.length;
    for (int i = 0; i < x.length; i++) {
      float xi = x[i];
      if (xi == 0f) {
        continue;
      }
      int base = i * n;
      for (int j = 0; j < n; j++) {
        out[j] += xi * w[base + j];
      }
    }
  }

  /** A new array: {@link VectorMath#softmax} of {@code v[off .. off + n)}. */
  static float[] softmax(float[] v, int off, int n) {
    float[] out = new float[n];
    VectorMath.softmax(v, off, n, out, 0);
    return out;
  }

  /** Exact sparsemax (sort-based). */
  static float[] sparsemax(float[] z) {
    float[] s = z.clone();
    Arrays.sort(s);
    int n = s.length;
    double cum = 0;
    double tau = 0;
    for (int k = 1; k <= n; k++) {
      float zk = s[n - k];
      cum += zk;
      if (1 + k * (double) zk > cum) {
        tau = (cum - 1) / k;
      } else {
        break;
      }
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) Math.max(0, z[i] - tau);
    }
    return out;
  }
}
