package dev.ringmoe.hash.sida;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Serving form of a {@link SidaHashNetwork}: plain Java float arithmetic, no ND4J or SameDiff. Given token ids it
 * looks their embeddings up in the model's embedding table and returns, for every token and every MoE layer, a
 * probability vector over the experts (softmax of the head's logits). {@link #newSession()} gives the streaming form:
 * because the network is causal, {@code step(id)} for the t-th token returns exactly what the full-sequence forward
 * returns at position t. Thread-safe for concurrent sessions; a session itself is not thread-safe.
 */
public final class HashPredictor {

  private final HashNetworkConfig cfg;
  private final float[] embeddings;
  private final int vocab;
  private final float[] inW;
  private final float[] inB;
  private final float[][] wx;
  private final float[][] wr;
  private final float[][] lb;
  private final float[] resW;
  private final float[] resB;
  private final float[] headW;
  private final float[] headB;

  HashPredictor(SidaHashNetwork net, float[] embeddingTable) {
    this.cfg = net.config();
    int d = cfg.dModel();
    if (embeddingTable.length % d != 0) {
      throw new IllegalArgumentException("embedding table of " + embeddingTable.length + " floats is not [vocab*" + d
          + "]");
    }
    this.embeddings = embeddingTable;
    this.vocab = embeddingTable.length / d;
    inW = net.param("in_W");
    inB = net.param("in_b");
    int n = HashNetworkConfig.LSTM_LAYERS;
    wx = new float[n][];
    wr = new float[n][];
    lb = new float[n][];
    for (int l = 0; l < n; l++) {
      wx[l] = net.param("lstm" + l + "_Wx");
      wr[l] = net.param("lstm" + l + "_Wr");
      lb[l] = net.param("lstm" + l + "_b");
    }
    resW = net.param("res_W");
    resB = net.param("res_b");
    headW = net.param("head_W");
    headB = net.param("head_b");
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

  /** Raw head logits [tokens][layers*experts] from given embedding rows (for checking against the graph). */
  public float[][] logitsFromEmbeddings(float[][] emb) {
    Session s = new Session();
    float[][] out = new float[emb.length][];
    for (int t = 0; t < emb.length; t++) {
      out[t] = s.stepLogits(emb[t]);
    }
    return out;
  }

  /** The ids of the {@code k} largest entries, largest first (ties to the lower id). */
  public static int[] topK(float[] probs, int k) {
    int[] idx = new int[k];
    boolean[] used = new boolean[probs.length];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < probs.length; i++) {
        if (!used[i] && (best < 0 || probs[i] > probs[best])) {
          best = i;
        }
      }
      used[best] = true;
      idx[j] = best;
    }
    return idx;
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
      float[][][] out = new float[ids.length][][];
      for (int t = 0; t < ids.length; t++) {
        out[t] = step(ids[t]);
      }
      return out;
    }

    /** Feeds one token; returns its [layers][experts] probabilities. */
    public float[][] step(int tokenId) {
      if (tokenId < 0 || tokenId >= vocab) {
        throw new IllegalArgumentException("token id " + tokenId + " outside vocabulary of " + vocab);
      }
      int d = cfg.dModel();
      float[] e = Arrays.copyOfRange(embeddings, tokenId * d, (tokenId + 1) * d);
      float[] logits = stepLogits(e);
      int le = cfg.experts();
      float[][] probs = new float[cfg.layers()][];
      for (int l = 0; l < cfg.layers(); l++) {
        probs[l] = softmax(logits, l * le, le);
      }
      return probs;
    }

    float[] stepLogits(float[] emb) {
      float[] x = affine(emb, inW, inB, h);
      for (int i = 0; i < h; i++) {
        x[i] = Math.max(0f, x[i]);
      }
      float[] in = x;
      for (int l = 0; l < HashNetworkConfig.LSTM_LAYERS; l++) {
        float[] z = affine(in, wx[l], lb[l], 4 * h);
        addMatVec(hState[l], wr[l], z);
        float[] hn = new float[h];
        float[] c = cState[l];
        for (int j = 0; j < h; j++) {
          float ig = sigmoid(z[j]);
          float fg = sigmoid(z[h + j]);
          float gg = (float) Math.tanh(z[2 * h + j]);
          float og = sigmoid(z[3 * h + j]);
          c[j] = fg * c[j] + ig * gg;
          hn[j] = og * (float) Math.tanh(c[j]);
        }
        hState[l] = hn;
        in = hn;
      }
      float[] q = in;
      keys.add(q);
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
      float[] a = cfg.attention() == HashNetworkConfig.Attention.SPARSEMAX ? sparsemax(scores)
          : softmax(scores, 0, n);
      double sum = 0;
      for (float v : a) {
        sum += v;
      }
      float[] zz = affine(x, resW, resB, h);
      for (int s = 0; s < n; s++) {
        float w = (float) (a[s] / (sum + 1e-12));
        if (w == 0f) {
          continue;
        }
        float[] k = keys.get(s);
        for (int j = 0; j < h; j++) {
          zz[j] += w * k[j];
        }
      }
      return affine(zz, headW, headB, cfg.layers() * cfg.experts());
    }
  }

  static float sigmoid(float v) {
    return (float) (1.0 / (1.0 + Math.exp(-v)));
  }

  /** out = x · W + b with W row-major [x.length, n]. */
  static float[] affine(float[] x, float[] w, float[] b, int n) {
    float[] out = b.clone();
    addMatVec(x, w, out);
    return out;
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

  static float[] softmax(float[] v, int off, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, v[off + i]);
    }
    float[] out = new float[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      out[i] = (float) Math.exp(v[off + i] - max);
      sum += out[i];
    }
    for (int i = 0; i < n; i++) {
      out[i] = (float) (out[i] / sum);
    }
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
