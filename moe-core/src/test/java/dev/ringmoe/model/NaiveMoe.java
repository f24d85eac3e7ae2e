package dev.ringmoe.model;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.QkNorm;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.WeightManifest;
import java.io.IOException;
import java.nio.FloatBuffer;

/**
 * An independent, deliberately naive MoE decoder forward pass (Mixtral, Qwen2-MoE, Qwen3-MoE,
 * OLMoE, gpt-oss) in double precision over plain arrays: the test oracle for checkpoint shapes that
 * have no Hugging Face reference. It shares no code with {@link Decoder}: it recomputes the whole
 * sequence from scratch, without a cache, and routes with a full sort; gpt-oss's experts are read
 * as whole stacked tensors in Hugging Face's layout and computed as its modeling code writes them.
 * Only the YaRN frequencies come from {@link Yarn} (checked against Hugging Face by its own test).
 */
final class NaiveMoe {
  private final ModelConfig c;
  private final Checkpoint ckpt;
  private final WeightManifest m;

  /**
   * Gate and up values the clamped SwiGLU cut to its limit, so a test can tell it was exercised.
   */
  long clamped;

  NaiveMoe(ModelConfig config, Checkpoint checkpoint) {
    this.c = config;
    this.ckpt = checkpoint;
    this.m = WeightManifest.of(config);
  }

  private double[] w(Section section, Role role) throws IOException {
    return w(section.get(role).name());
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

  /** y[out] = W[out, in] · x[in]. */
  private static double[] matvec(double[] w, double[] x, int out) {
    int in = x.length;
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = 0;
      for (int i = 0; i < in; i++) {
        s += w[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  private double[] rms(double[] x, double[] weight) {
    double ss = 0;
    for (double v : x) {
      ss += v * v;
    }
    double inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * inv * weight[i];
    }
    return y;
  }

  private void rope(double[] v, int heads, int position) {
    int d = c.headDim();
    Yarn yarn =
        c.yarn() == null ? null : Yarn.compute(d, c.ropeTheta(), c.maxPositions(), c.yarn());
    float[] yarnFreq = yarn == null ? null : yarn.inverseFrequencies();
    double scale = yarn == null ? 1 : yarn.attentionFactor();
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < d / 2; i++) {
        double freq = yarn != null ? yarnFreq[i] : 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / d);
        double a = position * freq;
        double cos = Math.cos(a) * scale;
        double sin = Math.sin(a) * scale;
        double x1 = v[h * d + i];
        double x2 = v[h * d + i + d / 2];
        v[h * d + i] = x1 * cos - x2 * sin;
        v[h * d + i + d / 2] = x2 * cos + x1 * sin;
      }
    }
  }

  /**
   * Softmax over all experts, top k, renormalised or not, plus the shared expert scaled by its
   * sigmoid gate.
   */
  private double[] moe(int l, double[] xn) throws IOException {
    double[] logits = matvec(w(m.dense(l), Role.ROUTER), xn, c.experts());
    if (c.routerBias()) {
      add(logits, w(m.dense(l), Role.ROUTER_BIAS));
    }
    if (c.gate() == GateKind.TOPK_SOFTMAX) {
      return topKSoftmax(l, logits, xn);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z);
    }
    double[] prob = new double[c.experts()];
    double sum = 0;
    for (int e = 0; e < prob.length; e++) {
      prob[e] = Math.exp(logits[e] - max);
      sum += prob[e];
    }
    Integer[] order = new Integer[c.experts()];
    for (int e = 0; e < order.length; e++) {
      order[e] = e;
      prob[e] /= sum;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(prob[b], prob[a]));
    double kept = 0;
    for (int j = 0; j < c.topK(); j++) {
      kept += prob[order[j]];
    }
    double[] out = new double[xn.length];
    for (int j = 0; j < c.topK(); j++) {
      int e = order[j];
      double g = c.gate() == GateKind.SOFTMAX_TOPK_RENORMALISED ? prob[e] / kept : prob[e];
      double[] y = swiglu(m.expert(l, e), Role.EXPERT_GATE, Role.EXPERT_UP, Role.EXPERT_DOWN, xn);
      for (int i = 0; i < out.length; i++) {
        out[i] += g * y[i];
      }
    }
    if (c.sharedExpertIntermediateSize() > 0) {
      double[] y = swiglu(m.dense(l), Role.SHARED_GATE, Role.SHARED_UP, Role.SHARED_DOWN, xn);
      double scale = 1;
      if (c.sharedExpertGate()) {
        double z = matvec(w(m.dense(l), Role.SHARED_EXPERT_GATE), xn, 1)[0];
        scale = 1 / (1 + Math.exp(-z));
      }
      for (int i = 0; i < out.length; i++) {
        out[i] += scale * y[i];
      }
    }
    return out;
  }

  /** gpt-oss: the k largest logits, a softmax over those k, the experts in HF's stacked layout. */
  private double[] topKSoftmax(int l, double[] logits, double[] xn) throws IOException {
    Integer[] order = new Integer[c.experts()];
    for (int e = 0; e < order.length; e++) {
      order[e] = e;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
    double max = logits[order[0]];
    double sum = 0;
    for (int j = 0; j < c.topK(); j++) {
      sum += Math.exp(logits[order[j]] - max);
    }
    double[] out = new double[xn.length];
    for (int j = 0; j < c.topK(); j++) {
      int e = order[j];
      double g = Math.exp(logits[e] - max) / sum;
      double[] y = stackedExpert(m.expert(l, e), e, xn);
      for (int i = 0; i < out.length; i++) {
        out[i] += g * y[i];
      }
    }
    return out;
  }

  /**
   * One expert of Hugging Face's gpt-oss layout: {@code gate_up = x @ gate_up_proj[e] +
   * gate_up_proj_bias[e]} ([E, hidden, 2I]), gate = even and up = odd columns, the clamped SwiGLU,
   * then {@code @ down_proj[e] + down_proj_bias[e]} ([E, I, hidden]).
   */
  private double[] stackedExpert(Section s, int e, double[] xn) throws IOException {
    int h = c.hiddenSize();
    int inter = c.intermediateSize();
    double[] gu = w(s, Role.EXPERT_GATE);
    double[] guBias = w(s, Role.EXPERT_GATE_BIAS);
    double[] down = w(s, Role.EXPERT_DOWN);
    double[] downBias = w(s, Role.EXPERT_DOWN_BIAS);
    double limit = c.swigluLimit();
    double[] act = new double[inter];
    for (int i = 0; i < inter; i++) {
      double gate = guBias[e * 2 * inter + 2 * i];
      double up = guBias[e * 2 * inter + 2 * i + 1];
      for (int k = 0; k < h; k++) {
        gate += xn[k] * gu[(e * h + k) * 2 * inter + 2 * i];
        up += xn[k] * gu[(e * h + k) * 2 * inter + 2 * i + 1];
      }
      if (gate > limit || Math.abs(up) > limit) {
        clamped++;
      }
      gate = Math.min(gate, limit);
      up = Math.max(-limit, Math.min(up, limit));
      act[i] = (up + 1) * gate / (1 + Math.exp(-1.702 * gate));
    }
    double[] y = new double[h];
    for (int o = 0; o < h; o++) {
      double v = downBias[e * h + o];
      for (int i = 0; i < inter; i++) {
        v += act[i] * down[(e * inter + i) * h + o];
      }
      y[o] = v;
    }
    return y;
  }

  private double[] swiglu(Section s, Role gate, Role up, Role down, double[] xn)
      throws IOException {
    int inter = (int) s.get(gate).shape()[0];
    double[] a = matvec(w(s, gate), xn, inter);
    double[] b = matvec(w(s, up), xn, inter);
    for (int i = 0; i < a.length; i++) {
      a[i] = a[i] / (1 + Math.exp(-a[i])) * b[i];
    }
    return matvec(w(s, down), a, xn.length);
  }

  private static void add(double[] x, double[] b) {
    for (int i = 0; i < x.length; i++) {
      x[i] += b[i];
    }
  }

  /**
   * RMSNorm of each group of {@code width} values with the same weight (per head, or the whole
   * vector).
   */
  private double[] normGroups(double[] x, double[] weight, int width) {
    double[] y = new double[x.length];
    for (int g = 0; g < x.length / width; g++) {
      double[] part = java.util.Arrays.copyOfRange(x, g * width, (g + 1) * width);
      System.arraycopy(rms(part, weight), 0, y, g * width, width);
    }
    return y;
  }

  /** Logits of every position, [tokens][vocab]. */
  double[][] logits(int[] tokens) throws IOException {
    int hSize = c.hiddenSize();
    int d = c.headDim();
    int t = tokens.length;
    double[] emb = w(m.globals(), Role.EMBEDDING);
    double[][] x = new double[t][hSize];
    for (int p = 0; p < t; p++) {
      System.arraycopy(emb, tokens[p] * hSize, x[p], 0, hSize);
    }
    for (int l = 0; l < c.layers(); l++) {
      double[] wq = w(m.dense(l), Role.QUERY);
      double[] wk = w(m.dense(l), Role.KEY);
      double[] wv = w(m.dense(l), Role.VALUE);
      double[] wo = w(m.dense(l), Role.OUTPUT);
      double[] in1 = w(m.dense(l), Role.INPUT_NORM);
      double[] in2 = w(m.dense(l), Role.POST_ATTENTION_NORM);
      double[][] q = new double[t][];
      double[][] k = new double[t][];
      double[][] v = new double[t][];
      for (int p = 0; p < t; p++) {
        double[] xn = rms(x[p], in1);
        q[p] = matvec(wq, xn, c.heads() * d);
        k[p] = matvec(wk, xn, c.kvHeads() * d);
        v[p] = matvec(wv, xn, c.kvHeads() * d);
        if (c.attentionBias()) {
          add(q[p], w(m.dense(l), Role.QUERY_BIAS));
          add(k[p], w(m.dense(l), Role.KEY_BIAS));
          add(v[p], w(m.dense(l), Role.VALUE_BIAS));
        }
        if (c.qkNorm() != QkNorm.NONE) {
          int width = c.qkNorm() == QkNorm.PER_HEAD ? d : 0;
          q[p] = normGroups(q[p], w(m.dense(l), Role.QUERY_NORM), width == 0 ? q[p].length : width);
          k[p] = normGroups(k[p], w(m.dense(l), Role.KEY_NORM), width == 0 ? k[p].length : width);
        }
        rope(q[p], c.heads(), p);
        rope(k[p], c.kvHeads(), p);
      }
      int group = c.heads() / c.kvHeads();
      int window = c.attentionWindow(l);
      double[] sinks = c.attentionSinks() ? w(m.dense(l), Role.ATTENTION_SINKS) : null;
      for (int p = 0; p < t; p++) {
        double[] att = new double[c.heads() * d];
        for (int h = 0; h < c.heads(); h++) {
          int kh = h / group;
          double[] s = new double[p + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= p; j++) {
            boolean visible = window == 0 || p - j < window;
            double dot = 0;
            for (int i = 0; i < d; i++) {
              dot += q[p][h * d + i] * k[j][kh * d + i];
            }
            s[j] = visible ? dot / Math.sqrt(d) : Double.NEGATIVE_INFINITY;
            max = Math.max(max, s[j]);
          }
          if (sinks != null) {
            max = Math.max(max, sinks[h]);
          }
          // the sink is one more logit in the row, whose probability is dropped
          double sum = sinks != null ? Math.exp(sinks[h] - max) : 0;
          for (int j = 0; j <= p; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
          }
          for (int j = 0; j <= p; j++) {
            for (int i = 0; i < d; i++) {
              att[h * d + i] += s[j] / sum * v[j][kh * d + i];
            }
          }
        }
        double[] o = matvec(wo, att, hSize);
        if (c.outputBias()) {
          add(o, w(m.dense(l), Role.OUTPUT_BIAS));
        }
        for (int i = 0; i < hSize; i++) {
          x[p][i] += o[i];
        }
      }
      for (int p = 0; p < t; p++) {
        double[] xn = rms(x[p], in2);
        double[] y =
            c.isMoeLayer(l)
                ? moe(l, xn)
                : swiglu(m.dense(l), Role.MLP_GATE, Role.MLP_UP, Role.MLP_DOWN, xn);
        for (int i = 0; i < hSize; i++) {
          x[p][i] += y[i];
        }
      }
    }
    double[] fn = w(m.globals(), Role.FINAL_NORM);
    double[] head = c.tieWordEmbeddings() ? emb : w(m.globals(), Role.LM_HEAD);
    double[][] out = new double[t][];
    for (int p = 0; p < t; p++) {
      out[p] = matvec(head, rms(x[p], fn), c.vocabSize());
    }
    return out;
  }
}
