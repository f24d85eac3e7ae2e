package dev.ringmoe.seq2seq;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.config.EncoderDecoderConfig;
import dev.ringmoe.config.ModelConfig;
import java.io.IOException;
import java.nio.FloatBuffer;

/**
 * An independent, deliberately naive Switch Transformers forward pass in double precision over
 * plain arrays, written from Hugging Face's modeling code: the test oracle for checkpoint shapes
 * the reference does not cover. It shares no code with {@link EncoderDecoder}: tensors by their
 * Hugging Face names (not the manifest), the whole decoder sequence recomputed with a causal mask,
 * routing by a scan for the largest probability, expert capacity over the call's tokens in order.
 * The bucket arithmetic is torch's float32 one, so that both sides agree on bucket boundaries.
 */
final class NaiveSwitch {
  private final ModelConfig c;
  private final EncoderDecoderConfig ed;
  private final Checkpoint ckpt;

  NaiveSwitch(ModelConfig config, Checkpoint checkpoint) {
    this.c = config;
    this.ed = config.encoderDecoder();
    this.ckpt = checkpoint;
  }

  private double[] w(String name) throws IOException {
    TensorInfo info = ckpt.tensor(name);
    float[] f = new float[Math.toIntExact(info.elementCount())];
    ckpt.readFloat32(info, FloatBuffer.wrap(f));
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** rows x [out] = x[rows, in] · W[out, in]ᵀ */
  private static double[][] linear(double[][] x, double[] w) {
    int in = x[0].length;
    int out = w.length / in;
    double[][] y = new double[x.length][out];
    for (int r = 0; r < x.length; r++) {
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int i = 0; i < in; i++) {
          s += w[o * in + i] * x[r][i];
        }
        y[r][o] = s;
      }
    }
    return y;
  }

  private double[][] norm(double[][] x, double[] weight) {
    double[][] y = new double[x.length][];
    for (int r = 0; r < x.length; r++) {
      double ss = 0;
      for (double v : x[r]) {
        ss += v * v;
      }
      double inv = 1 / Math.sqrt(ss / x[r].length + c.rmsNormEps());
      y[r] = new double[x[r].length];
      for (int i = 0; i < x[r].length; i++) {
        y[r][i] = weight[i] * x[r][i] * inv;
      }
    }
    return y;
  }

  private static void addTo(double[][] x, double[][] y) {
    for (int r = 0; r < x.length; r++) {
      for (int i = 0; i < x[r].length; i++) {
        x[r][i] += y[r][i];
      }
    }
  }

  int bucket(int relative, boolean bidirectional) {
    int n = ed.relativeBuckets();
    int result = 0;
    if (bidirectional) {
      n /= 2;
      result += relative > 0 ? n : 0;
      relative = Math.abs(relative);
    } else {
      relative = -Math.min(relative, 0);
    }
    int maxExact = n / 2;
    if (relative < maxExact) {
      return result + relative;
    }
    float large =
        (float) Math.log((float) relative / maxExact)
            / (float) Math.log((double) ed.relativeMaxDistance() / maxExact)
            * (n - maxExact);
    return result + Math.min(maxExact + (int) large, n - 1);
  }

  /** Multi-head attention; bias [heads][queries][keys] or null; mask: causal or not. */
  private double[][] attention(
      String prefix, double[][] queryIn, double[][] keyIn, double[][][] bias, boolean causal)
      throws IOException {
    int heads = c.heads();
    int d = c.headDim();
    double[][] q = linear(queryIn, w(prefix + "q.weight"));
    double[][] k = linear(keyIn, w(prefix + "k.weight"));
    double[][] v = linear(keyIn, w(prefix + "v.weight"));
    double[][] out = new double[queryIn.length][heads * d];
    for (int h = 0; h < heads; h++) {
      for (int t = 0; t < queryIn.length; t++) {
        int visible = causal ? t + 1 : keyIn.length;
        double[] s = new double[visible];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
          double dot = 0;
          for (int i = 0; i < d; i++) {
            dot += q[t][h * d + i] * k[j][h * d + i];
          }
          s[j] = dot + (bias == null ? 0 : bias[h][t][j]);
          max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < visible; j++) {
          s[j] = Math.exp(s[j] - max);
          sum += s[j];
        }
        for (int j = 0; j < visible; j++) {
          for (int i = 0; i < d; i++) {
            out[t][h * d + i] += s[j] / sum * v[j][h * d + i];
          }
        }
      }
    }
    return linear(out, w(prefix + "o.weight"));
  }

  private double[][][] bias(String table, int queries, int keys, boolean bidirectional)
      throws IOException {
    double[] b = w(table);
    int heads = c.heads();
    double[][][] out = new double[heads][queries][keys];
    for (int h = 0; h < heads; h++) {
      for (int t = 0; t < queries; t++) {
        for (int j = 0; j < keys; j++) {
          out[h][t][j] = b[bucket(j - t, bidirectional) * heads + h];
        }
      }
    }
    return out;
  }

  private double[][] relu(String prefix, double[][] x) throws IOException {
    double[][] h = linear(x, w(prefix + "wi.weight"));
    for (double[] row : h) {
      for (int i = 0; i < row.length; i++) {
        row[i] = Math.max(0, row[i]);
      }
    }
    return linear(h, w(prefix + "wo.weight"));
  }

  private double[][] feedForward(String prefix, double[][] x, boolean sparse) throws IOException {
    if (!sparse) {
      return relu(prefix + "mlp.", x);
    }
    double[][] logits = linear(x, w(prefix + "mlp.router.classifier.weight"));
    int[] taken = new int[c.experts()];
    double[][] out = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      int best = 0;
      for (int e = 1; e < c.experts(); e++) {
        if (logits[t][e] > logits[t][best]) {
          best = e;
        }
      }
      double sum = 0;
      for (int e = 0; e < c.experts(); e++) {
        sum += Math.exp(logits[t][e] - logits[t][best]);
      }
      double p = 1 / sum;
      double[] y;
      if (++taken[best] <= ed.expertCapacity()) {
        y = relu(prefix + "mlp.experts.expert_" + best + ".", new double[][] {x[t]})[0];
      } else {
        y = x[t].clone();
      }
      out[t] = new double[y.length];
      for (int i = 0; i < y.length; i++) {
        out[t][i] = p * y[i];
      }
    }
    return out;
  }

  private double[][] embed(int[] ids) throws IOException {
    double[] table = w("shared.weight");
    int h = c.hiddenSize();
    double[][] x = new double[ids.length][h];
    for (int t = 0; t < ids.length; t++) {
      System.arraycopy(table, ids[t] * h, x[t], 0, h);
    }
    return x;
  }

  /** The encoder's last hidden state, [positions][hidden]. */
  double[][] encode(int[] ids) throws IOException {
    double[][] x = embed(ids);
    double[][][] bias =
        bias(
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
            ids.length,
            ids.length,
            true);
    for (int i = 0; i < ed.encoderLayers(); i++) {
      String b = "encoder.block." + i + ".";
      addTo(
          x,
          attention(
              b + "layer.0.SelfAttention.",
              norm(x, w(b + "layer.0.layer_norm.weight")),
              norm(x, w(b + "layer.0.layer_norm.weight")),
              bias,
              false));
      addTo(
          x,
          feedForward(
              b + "layer.1.", norm(x, w(b + "layer.1.layer_norm.weight")), c.isMoeLayer(i)));
    }
    return norm(x, w("encoder.final_layer_norm.weight"));
  }

  /** The decoder's logits at every position of {@code decoderIds}, [positions][vocab]. */
  double[][] logits(int[] encoderIds, int[] decoderIds) throws IOException {
    double[][] enc = encode(encoderIds);
    double[][] x = embed(decoderIds);
    int n = decoderIds.length;
    double[][][] bias =
        bias("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", n, n, false);
    for (int i = 0; i < ed.decoderLayers(); i++) {
      String b = "decoder.block." + i + ".";
      double[][] normed = norm(x, w(b + "layer.0.layer_norm.weight"));
      addTo(x, attention(b + "layer.0.SelfAttention.", normed, normed, bias, true));
      addTo(
          x,
          attention(
              b + "layer.1.EncDecAttention.",
              norm(x, w(b + "layer.1.layer_norm.weight")),
              enc,
              null,
              false));
      addTo(
          x,
          feedForward(
              b + "layer.2.",
              norm(x, w(b + "layer.2.layer_norm.weight")),
              c.isMoeLayer(ed.encoderLayers() + i)));
    }
    double[][] out = norm(x, w("decoder.final_layer_norm.weight"));
    if (c.tieWordEmbeddings()) {
      for (double[] row : out) {
        for (int i = 0; i < row.length; i++) {
          row[i] *= Math.pow(c.hiddenSize(), -0.5);
        }
      }
    }
    return linear(out, w(c.tieWordEmbeddings() ? "shared.weight" : "lm_head.weight"));
  }
}
