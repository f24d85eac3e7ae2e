package dev.ringmoe.model;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.tensor.VectorMath;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer's self-attention, as a component with the options the families need: pre-norm,
 * grouped-query heads, q/k/v biases and a q/k RMSNorm (per head or over the whole projection) when
 * the layer's weights have them, rotary embedding, and a causal window of its own ({@code window}
 * tokens, 0 for full attention), attention sinks (one learned logit per head that joins every
 * softmax row and is then dropped, gpt-oss) when the layer has them, then the output projection
 * (with its bias, if any) added to the residual stream. Weights come from the layer's {@link
 * LayerWeights}; activations from a {@link Workspace}; keys and values go to the {@link KvCache}.
 *
 * <p>Owns its score scratch; not thread-safe (one per decoder).
 */
final class Attention implements AttentionLayer {
  private final ModelConfig config;
  private final int layer;
  private final int window;
  private final Rope rope;
  private final int hidden;
  private final int headDim;
  private final int qDim;
  private final int kvDim;
  private final float[] cos;
  private final float[] sin;
  private float[] scores;

  /**
   * @param window this layer's attention window in tokens, 0 for full causal attention
   */
  Attention(ModelConfig config, int layer, int window, Rope rope) {
    this.config = config;
    this.layer = layer;
    this.window = window;
    this.rope = rope;
    this.hidden = config.hiddenSize();
    this.headDim = config.headDim();
    this.qDim = config.heads() * headDim;
    this.kvDim = config.kvHeads() * headDim;
    this.cos = new float[headDim / 2];
    this.sin = new float[headDim / 2];
  }

  /** Pre-norm self-attention with grouped KV heads; adds its output to the residual stream. */
  @Override
  public void forward(LayerWeights lw, Workspace ws, KvCache cache) {
    int n = ws.tokens;
    RmsNorm.apply(
        ws.residual, ws.normed, lw.vector(Role.INPUT_NORM), n, hidden, config.rmsNormEps());
    ws.normedNd.write(ws.normed, n * hidden);
    // q, k and v share their input: one product group, one hand-off to the kernel threads
    Tensors.linear(
        ws.normedNd.array(),
        new INDArray[] {lw.matrix(Role.QUERY), lw.matrix(Role.KEY), lw.matrix(Role.VALUE)},
        new INDArray[] {ws.qNd.array(), ws.kNd.array(), ws.vNd.array()});
    ws.qNd.read(ws.q, n * qDim);
    ws.kNd.read(ws.k, n * kvDim);
    ws.vNd.read(ws.v, n * kvDim);
    addBias(ws.q, n, lw, Role.QUERY_BIAS);
    addBias(ws.k, n, lw, Role.KEY_BIAS);
    addBias(ws.v, n, lw, Role.VALUE_BIAS);
    normalise(ws.q, n * qDim, lw, Role.QUERY_NORM);
    normalise(ws.k, n * kvDim, lw, Role.KEY_NORM);

    int start = cache.length();
    float[] keys = cache.keys(layer);
    float[] values = cache.values(layer);
    for (int t = 0; t < n; t++) {
      rope.angles(start + t, cos, sin);
      rope.rotate(ws.q, t * qDim, config.heads(), cos, sin);
      rope.rotate(ws.k, t * kvDim, config.kvHeads(), cos, sin);
    }
    System.arraycopy(ws.k, 0, keys, start * kvDim, n * kvDim);
    System.arraycopy(ws.v, 0, values, start * kvDim, n * kvDim);

    attend(lw, ws, keys, values, start);

    ws.attentionNd.write(ws.attention, n * qDim);
    Tensors.linear(ws.attentionNd.array(), lw.matrix(Role.OUTPUT), ws.projectedNd.array());
    ws.projectedNd.read(ws.projected, n * hidden);
    addBias(ws.projected, n, lw, Role.OUTPUT_BIAS);
    for (int i = 0; i < n * hidden; i++) {
      ws.residual[i] += ws.projected[i];
    }
  }

  /** The layer's attention sinks, one logit per query head, or null. */
  private static float[] sinks(LayerWeights lw) {
    return lw.has(Role.ATTENTION_SINKS) ? lw.vector(Role.ATTENTION_SINKS) : null;
  }

  /**
   * Adds the layer's bias of {@code role}, if it has one, to each of the {@code rows} rows of
   * {@code x}.
   */
  static void addBias(float[] x, int rows, LayerWeights lw, Role role) {
    if (!lw.has(role)) {
      return;
    }
    float[] b = lw.vector(role);
    for (int r = 0; r < rows; r++) {
      int off = r * b.length;
      for (int i = 0; i < b.length; i++) {
        x[off + i] += b[i];
      }
    }
  }

  /**
   * The q or k RMSNorm before rotary embedding, if the layer has one: per head when its weight has
   * {@code head_dim} entries (Qwen3-MoE), over each token's whole projection when it has the
   * projection's width (OLMoE).
   */
  private void normalise(float[] x, int count, LayerWeights lw, Role role) {
    if (!lw.has(role)) {
      return;
    }
    float[] w = lw.vector(role);
    RmsNorm.apply(x, x, w, count / w.length, w.length, config.rmsNormEps());
  }

  /**
   * Causal (optionally sliding-window) softmax attention of every new token over the cache. The
   * query heads that share a KV head are processed together, so each cached key and value row is
   * read once per group rather than once per head; dot products use four partial sums so the JIT
   * can pipeline them.
   */
  private void attend(LayerWeights lw, Workspace ws, float[] keys, float[] values, int start) {
    int group = config.heads() / config.kvHeads();
    float scale = (float) (1.0 / Math.sqrt(headDim));
    // one extra column per row for the sink logit, when the layer has sinks
    int span = start + ws.tokens + 1;
    if (scores == null || scores.length < group * span) {
      scores = new float[group * Math.max(span, 64) * 2];
    }
    float[] sinks = sinks(lw);
    float[] q = ws.q;
    float[] out = ws.attention;
    for (int t = 0; t < ws.tokens; t++) {
      int position = start + t;
      int first = window > 0 ? Math.max(0, position - window + 1) : 0;
      for (int kvh = 0; kvh < config.kvHeads(); kvh++) {
        int kvOff = kvh * headDim;
        int qBase = t * qDim + kvh * group * headDim;
        for (int j = first; j <= position; j++) {
          int kOff = j * kvDim + kvOff;
          for (int g = 0; g < group; g++) {
            int qOff = qBase + g * headDim;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int d = 0;
            for (; d + 3 < headDim; d += 4) {
              s0 += q[qOff + d] * keys[kOff + d];
              s1 += q[qOff + d + 1] * keys[kOff + d + 1];
              s2 += q[qOff + d + 2] * keys[kOff + d + 2];
              s3 += q[qOff + d + 3] * keys[kOff + d + 3];
            }
            for (; d < headDim; d++) {
              s0 += q[qOff + d] * keys[kOff + d];
            }
            scores[g * span + j] = ((s0 + s1) + (s2 + s3)) * scale;
          }
        }
        for (int g = 0; g < group; g++) {
          int row = g * span;
          int visible = position - first + 1;
          if (sinks != null) {
            // the head's sink joins the softmax as one more logit, and its probability is dropped
            scores[row + position + 1] = sinks[kvh * group + g];
            VectorMath.softmax(scores, row + first, visible + 1, scores, row + first);
          } else {
            VectorMath.softmax(scores, row + first, visible, scores, row + first);
          }
          Arrays.fill(out, qBase + g * headDim, qBase + (g + 1) * headDim, 0f);
        }
        for (int j = first; j <= position; j++) {
          int vOff = j * kvDim + kvOff;
          for (int g = 0; g < group; g++) {
            float p = scores[g * span + j];
            int o = qBase + g * headDim;
            for (int d = 0; d < headDim; d++) {
              out[o + d] += p * values[vOff + d];
            }
          }
        }
      }
    }
  }
}
