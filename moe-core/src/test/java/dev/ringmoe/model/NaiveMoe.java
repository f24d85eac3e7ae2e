package dev.ringmoe.model;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.GroupRouting;
import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.QkNorm;
import dev.ringmoe.config.YarnScaling;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.WeightManifest;
import java.io.IOException;
import java.nio.FloatBuffer;

/**
 * An independent, deliberately naive MoE decoder forward pass (Mixtral, Qwen2-MoE, Qwen3-MoE,
 * OLMoE, DeepSeek-V2/V3 with multi-head latent attention, YaRN and the group-limited gates,
 * gpt-oss) in double precision over plain arrays: the test oracle for checkpoint shapes that have
 * no Hugging Face reference. It shares no code with {@link Decoder}: it recomputes the whole
 * sequence from scratch, without a cache (MLA expands every position's keys and values), and routes
 * with full sorts; gpt-oss's experts are read as whole stacked tensors in Hugging Face's layout and
 * computed as its modeling code writes them. YaRN's frequencies are recomputed here in double
 * precision.
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
    return rms(x, weight, c.rmsNormEps());
  }

  private static double[] rms(double[] x, double[] weight, double eps) {
    double ss = 0;
    for (double v : x) {
      ss += v * v;
    }
    double inv = 1 / Math.sqrt(ss / x.length + eps);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * inv * weight[i];
    }
    return y;
  }

  private void rope(double[] v, int heads, int position) {
    int d = c.headDim();
    for (int h = 0; h < heads; h++) {
      rotate(v, h * d, d, position, false);
    }
  }

  /**
   * Rotates {@code v[offset .. offset + d)} by {@code position}: rotate-half pairs ({@code i, i +
   * d/2}) or interleaved ones ({@code 2i, 2i + 1}), cos and sin times YaRN's attention factor.
   */
  private void rotate(double[] v, int offset, int d, int position, boolean interleaved) {
    double[] freq = frequencies(d);
    double factor = cosSinFactor();
    for (int i = 0; i < d / 2; i++) {
      double a = position * freq[i];
      int ia = interleaved ? offset + 2 * i : offset + i;
      int ib = interleaved ? ia + 1 : ia + d / 2;
      double x1 = v[ia];
      double x2 = v[ib];
      v[ia] = (x1 * Math.cos(a) - x2 * Math.sin(a)) * factor;
      v[ib] = (x2 * Math.cos(a) + x1 * Math.sin(a)) * factor;
    }
  }

  /** The rotary frequencies: theta^(-2i/d), blended by YaRN's ramp when the config has it. */
  private double[] frequencies(int d) {
    double[] f = new double[d / 2];
    for (int i = 0; i < d / 2; i++) {
      f[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / d);
    }
    YarnScaling y = c.yarn();
    if (y == null) {
      return f;
    }
    int original =
        y.originalMaxPositionEmbeddings() != null
            ? y.originalMaxPositionEmbeddings()
            : c.maxPositions();
    double factor = yarnFactor();
    double fast = y.betaFast() == null || y.betaFast() == 0 ? 32 : y.betaFast();
    double slow = y.betaSlow() == null || y.betaSlow() == 0 ? 1 : y.betaSlow();
    // the dimension whose wavelength turns `rotations` times over the original context
    java.util.function.DoubleUnaryOperator dimOf =
        rotations ->
            d * Math.log(original / (rotations * 2 * Math.PI)) / (2 * Math.log(c.ropeTheta()));
    double low = dimOf.applyAsDouble(fast);
    double high = dimOf.applyAsDouble(slow);
    if (y.truncate() == null || y.truncate()) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, d - 1);
    if (low == high) {
      high += 0.001;
    }
    for (int i = 0; i < d / 2; i++) {
      double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
      // below `low` the frequency is kept, above `high` divided by the factor
      f[i] = f[i] * (1 - ramp) + f[i] / factor * ramp;
    }
    return f;
  }

  private double yarnFactor() {
    YarnScaling y = c.yarn();
    return y.originalMaxPositionEmbeddings() != null
        ? (double) c.maxPositions() / y.originalMaxPositionEmbeddings()
        : y.factor();
  }

  private static double mscale(double scale, double m) {
    return scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1;
  }

  private double cosSinFactor() {
    YarnScaling y = c.yarn();
    if (y == null) {
      return 1;
    }
    if (y.attentionFactor() != null) {
      return y.attentionFactor();
    }
    double f = yarnFactor();
    boolean both =
        y.mscale() != null && y.mscale() != 0 && y.mscaleAllDim() != null && y.mscaleAllDim() != 0;
    return both ? mscale(f, y.mscale()) / mscale(f, y.mscaleAllDim()) : mscale(f, 1);
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
    if (c.groupRouting() != null) {
      return groupLimited(l, xn, logits);
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

  /**
   * DeepSeek's gates: softmax (V2) or sigmoid (V3) scores, V3's bias for the choice, groups by
   * their best (V2) or best two (V3) choice scores, dropped groups' choices 0, top-k, weights the
   * scores (renormalised if asked) times the routed scaling factor; then the ungated shared expert.
   */
  private double[] groupLimited(int l, double[] xn, double[] logits) throws IOException {
    GroupRouting g = c.groupRouting();
    int n = c.experts();
    boolean sigmoid = c.gate() == GateKind.SIGMOID_GROUP_LIMITED;
    double[] score = new double[n];
    double max = Double.NEGATIVE_INFINITY;
    for (double z : logits) {
      max = Math.max(max, z);
    }
    double sum = 0;
    for (int e = 0; e < n; e++) {
      score[e] = sigmoid ? 1 / (1 + Math.exp(-logits[e])) : Math.exp(logits[e] - max);
      sum += score[e];
    }
    double[] choice = new double[n];
    double[] bias = sigmoid ? w(m.dense(l), Role.SCORE_CORRECTION_BIAS) : new double[n];
    for (int e = 0; e < n; e++) {
      if (!sigmoid) {
        score[e] /= sum;
      }
      choice[e] = score[e] + bias[e];
    }
    if (g.topkGroup() < g.groups()) {
      int per = n / g.groups();
      double[] groupScore = new double[g.groups()];
      for (int gr = 0; gr < g.groups(); gr++) {
        double[] members = java.util.Arrays.copyOfRange(choice, gr * per, (gr + 1) * per);
        java.util.Arrays.sort(members);
        groupScore[gr] = sigmoid ? members[per - 1] + members[per - 2] : members[per - 1];
      }
      Integer[] groupOrder = sortedDescending(groupScore);
      boolean[] kept = new boolean[g.groups()];
      for (int j = 0; j < g.topkGroup(); j++) {
        kept[groupOrder[j]] = true;
      }
      for (int e = 0; e < n; e++) {
        if (!kept[e / per]) {
          choice[e] = 0;
        }
      }
    }
    Integer[] order = sortedDescending(choice);
    double chosen = 0;
    for (int j = 0; j < c.topK(); j++) {
      chosen += score[order[j]];
    }
    double[] out = new double[xn.length];
    for (int j = 0; j < c.topK(); j++) {
      int e = order[j];
      double weight = (g.renormalise() ? score[e] / chosen : score[e]) * g.routedScalingFactor();
      double[] y = swiglu(m.expert(l, e), Role.EXPERT_GATE, Role.EXPERT_UP, Role.EXPERT_DOWN, xn);
      for (int i = 0; i < out.length; i++) {
        out[i] += weight * y[i];
      }
    }
    if (c.sharedExpertIntermediateSize() > 0) {
      add(out, swiglu(m.dense(l), Role.SHARED_GATE, Role.SHARED_UP, Role.SHARED_DOWN, xn));
    }
    return out;
  }

  /** Indices by value, largest first, ties by lower index. */
  private static Integer[] sortedDescending(double[] v) {
    Integer[] order = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(v[b], v[a]));
    return order;
  }

  /**
   * Multi-head latent attention of layer {@code l} over the whole sequence, added to {@code x}:
   * every position's keys and values expanded from its compressed kv.
   */
  private void mla(int l, double[][] x) throws IOException {
    MlaConfig a = c.mla();
    Section s = m.dense(l);
    int t = x.length;
    int heads = c.heads();
    int qk = a.qkNopeHeadDim() + a.qkRopeHeadDim();
    int nope = a.qkNopeHeadDim();
    int rope = a.qkRopeHeadDim();
    int vd = a.vHeadDim();
    int lora = a.kvLoraRank();
    double eps = 1e-6; // Hugging Face's default for the low-rank norms
    double[] in1 = w(s, Role.INPUT_NORM);
    double[][] q = new double[t][];
    double[][] kpe = new double[t][];
    double[][] kv = new double[t][];
    for (int p = 0; p < t; p++) {
      double[] xn = rms(x[p], in1);
      if (a.qLoraRank() > 0) {
        double[] qa = matvec(w(s, Role.QUERY_A), xn, a.qLoraRank());
        q[p] = matvec(w(s, Role.QUERY_B), rms(qa, w(s, Role.QUERY_A_NORM), eps), heads * qk);
      } else {
        q[p] = matvec(w(s, Role.QUERY), xn, heads * qk);
      }
      double[] compressed = matvec(w(s, Role.KV_A), xn, lora + rope);
      double[] ckv = rms(java.util.Arrays.copyOf(compressed, lora), w(s, Role.KV_A_NORM), eps);
      kpe[p] = java.util.Arrays.copyOfRange(compressed, lora, lora + rope);
      kv[p] = matvec(w(s, Role.KV_B), ckv, heads * (nope + vd));
      for (int h = 0; h < heads; h++) {
        rotate(q[p], h * qk + nope, rope, p, a.interleavedRope());
      }
      rotate(kpe[p], 0, rope, p, a.interleavedRope());
    }
    double scale = 1 / Math.sqrt(qk);
    YarnScaling y = c.yarn();
    if (a.yarnSoftmaxScale() && y != null && y.mscaleAllDim() != null && y.mscaleAllDim() != 0) {
      double ms = mscale(y.factor(), y.mscaleAllDim());
      scale *= ms * ms;
    }
    double[] wo = w(s, Role.OUTPUT);
    double[][] delta = new double[t][];
    for (int p = 0; p < t; p++) {
      double[] att = new double[heads * vd];
      for (int h = 0; h < heads; h++) {
        double[] sc = new double[p + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= p; j++) {
          double dot = 0;
          for (int i = 0; i < nope; i++) {
            dot += q[p][h * qk + i] * kv[j][h * (nope + vd) + i];
          }
          for (int i = 0; i < rope; i++) {
            dot += q[p][h * qk + nope + i] * kpe[j][i];
          }
          sc[j] = dot * scale;
          max = Math.max(max, sc[j]);
        }
        double sum = 0;
        for (int j = 0; j <= p; j++) {
          sc[j] = Math.exp(sc[j] - max);
          sum += sc[j];
        }
        for (int j = 0; j <= p; j++) {
          for (int i = 0; i < vd; i++) {
            att[h * vd + i] += sc[j] / sum * kv[j][h * (nope + vd) + nope + i];
          }
        }
      }
      delta[p] = matvec(wo, att, c.hiddenSize());
    }
    for (int p = 0; p < t; p++) {
      add(x[p], delta[p]);
    }
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
    int t = tokens.length;
    double[] emb = w(m.globals(), Role.EMBEDDING);
    double[][] x = new double[t][hSize];
    for (int p = 0; p < t; p++) {
      System.arraycopy(emb, tokens[p] * hSize, x[p], 0, hSize);
    }
    for (int l = 0; l < c.layers(); l++) {
      if (c.mla() != null) {
        mla(l, x);
      } else {
        attention(l, x);
      }
      double[] in2 = w(m.dense(l), Role.POST_ATTENTION_NORM);
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

  /** Grouped-query attention of layer {@code l} over the whole sequence, added to {@code x}. */
  private void attention(int l, double[][] x) throws IOException {
    int hSize = c.hiddenSize();
    int d = c.headDim();
    int t = x.length;
    {
      double[] wq = w(m.dense(l), Role.QUERY);
      double[] wk = w(m.dense(l), Role.KEY);
      double[] wv = w(m.dense(l), Role.VALUE);
      double[] wo = w(m.dense(l), Role.OUTPUT);
      double[] in1 = w(m.dense(l), Role.INPUT_NORM);
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
    }
  }
}
