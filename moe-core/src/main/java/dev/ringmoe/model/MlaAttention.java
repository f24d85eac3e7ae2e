package dev.ringmoe.model;

import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.YarnScaling;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.tensor.RowMatrix;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.tensor.VectorMath;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DeepSeek's multi-head latent attention (MLA) for one layer, as Hugging Face's {@code
 * DeepseekV2Attention} / {@code DeepseekV3Attention} compute it (eager, float32):
 *
 * <ol>
 *   <li>{@code q = q_proj(x)}, or with query compression {@code q =
 *       q_b_proj(RMSNorm(q_a_proj(x)))}; each head is {@code [nope | rope]};
 *   <li>{@code [c | k_pe] = kv_a_proj_with_mqa(x)}: the compressed kv {@code c} ({@code
 *       kv_lora_rank}) is RMS-normalised; {@code k_pe} ({@code qk_rope_head_dim}) is one rotary key
 *       part shared by every head;
 *   <li>rotary embedding (YaRN-scaled where configured, interleaved pairs or rotate-half) on the
 *       rope part of every query head and on {@code k_pe};
 *   <li>per head, {@code [k_nope | v] = kv_b_proj(c)}; the score of a key is {@code (q_nope ·
 *       k_nope + q_pe · k_pe) * scale} ({@link #softmaxScale}); causal softmax; the weighted sum of
 *       {@code v}; {@code o_proj}.
 * </ol>
 *
 * <p>The cache keeps, per token, what this needs and no more: {@code c} after its norm and the
 * rotated {@code k_pe} ({@link MlaConfig#cachedWidth()} floats per layer, instead of {@code heads *
 * (qk_head_dim + v_head_dim)} for full keys and values). Exactness first: every pass expands the
 * cached {@code c} of all positions through {@code kv_b_proj} (one product over the whole prefix,
 * computed as Hugging Face computes each token's), rather than absorbing {@code kv_b_proj} into the
 * query and the output, which reorders the float32 sums.
 *
 * <p>The two low-rank norms use epsilon 1e-6 whatever {@code rms_norm_eps} says: Hugging Face
 * builds {@code q_a_layernorm} and {@code kv_a_layernorm} with the norm's default.
 *
 * <p>Uses the decoder's {@link Scratch}, shared by its layers; not thread-safe (one per decoder
 * layer).
 */
final class MlaAttention implements AttentionLayer {
  /** Hugging Face's {@code DeepseekV3RMSNorm} default, used by the two low-rank norms. */
  static final double LORA_NORM_EPS = 1e-6;

  private final ModelConfig config;
  private final int layer;
  private final Rope rope;
  private final int hidden;
  private final int heads;
  private final int qLora;
  private final int kvLora;
  private final int nope;
  private final int ropeDim;
  private final int vDim;
  private final int qkHead;
  private final int cached;
  private final int kvWidth;
  private final float scale;
  private final float[] cos;
  private final float[] sin;

  private final Scratch scratch;

  // The scratch's buffers, as grown for the current pass.
  private RowMatrix qaNd;
  private RowMatrix qNd;
  private RowMatrix kvaNd;
  private RowMatrix outNd;
  private RowMatrix compressedNd;
  private RowMatrix expandedNd;
  private float[] qa;
  private float[] q;
  private float[] kva;
  private float[] out;
  private float[] compressed;
  private float[] expanded;
  private float[] scores;

  /**
   * Buffers for up to {@code tokens} new tokens and {@code positions} cached positions, grown on
   * demand and shared by every layer of a decoder (the layers run one after another), so that the
   * expanded keys and values of the whole prefix exist once, not once per layer. Not thread-safe.
   */
  static final class Scratch implements AutoCloseable {
    private final MlaConfig m;
    private final int heads;
    private final int maxPositions;
    private int tokens;
    private int positions;
    private RowMatrix qaNd;
    private RowMatrix qNd;
    private RowMatrix kvaNd;
    private RowMatrix outNd;
    private RowMatrix compressedNd;
    private RowMatrix expandedNd;
    private float[] qa;
    private float[] q;
    private float[] kva;
    private float[] out;
    private float[] compressed;
    private float[] expanded;
    private float[] scores;

    Scratch(ModelConfig config) {
      this.m = config.mla();
      this.heads = config.heads();
      this.maxPositions = config.maxPositions();
    }

    /** Grows the buffers to hold {@code n} new tokens and {@code span} positions. */
    void ensure(int n, int span) {
      if (n > tokens) {
        closeTokenBuffers();
        tokens = n;
        if (m.qLoraRank() > 0) {
          qaNd = new RowMatrix(n, m.qLoraRank());
          qa = new float[n * m.qLoraRank()];
        }
        qNd = new RowMatrix(n, heads * m.qkHeadDim());
        kvaNd = new RowMatrix(n, m.cachedWidth());
        outNd = new RowMatrix(n, heads * m.vHeadDim());
        q = new float[n * heads * m.qkHeadDim()];
        kva = new float[n * m.cachedWidth()];
        out = new float[n * heads * m.vHeadDim()];
      }
      if (span > positions) {
        closePositionBuffers();
        int expandedWidth = heads * (m.qkNopeHeadDim() + m.vHeadDim());
        int limit = Integer.MAX_VALUE / Math.max(expandedWidth, m.kvLoraRank());
        if (span > limit) {
          throw new IllegalArgumentException(
              "a sequence of "
                  + span
                  + " positions needs more than 2^31 floats of expanded keys and values"
                  + " (heads * (qk_nope_head_dim + v_head_dim) = "
                  + expandedWidth
                  + " per position); at most "
                  + limit
                  + " positions");
        }
        int grown =
            (int)
                Math.min(
                    Math.min(maxPositions, limit), Math.max(span, Math.max(64, 2L * positions)));
        positions = grown;
        compressedNd = new RowMatrix(grown, m.kvLoraRank());
        expandedNd = new RowMatrix(grown, expandedWidth);
        compressed = new float[grown * m.kvLoraRank()];
        expanded = new float[grown * expandedWidth];
        scores = new float[grown];
      }
    }

    private void closeTokenBuffers() {
      for (RowMatrix x : new RowMatrix[] {qaNd, qNd, kvaNd, outNd}) {
        if (x != null) {
          x.close();
        }
      }
      qaNd = qNd = kvaNd = outNd = null;
    }

    private void closePositionBuffers() {
      for (RowMatrix x : new RowMatrix[] {compressedNd, expandedNd}) {
        if (x != null) {
          x.close();
        }
      }
      compressedNd = expandedNd = null;
    }

    @Override
    public void close() {
      closeTokenBuffers();
      closePositionBuffers();
      tokens = 0;
      positions = 0;
    }
  }

  MlaAttention(ModelConfig config, int layer, Rope rope, Scratch scratch) {
    MlaConfig m = config.mla();
    this.config = config;
    this.layer = layer;
    this.rope = rope;
    this.hidden = config.hiddenSize();
    this.heads = config.heads();
    this.qLora = m.qLoraRank();
    this.kvLora = m.kvLoraRank();
    this.nope = m.qkNopeHeadDim();
    this.ropeDim = m.qkRopeHeadDim();
    this.vDim = m.vHeadDim();
    this.qkHead = m.qkHeadDim();
    this.cached = m.cachedWidth();
    this.kvWidth = nope + vDim;
    this.scale = (float) softmaxScale(config);
    this.cos = new float[ropeDim / 2];
    this.sin = new float[ropeDim / 2];
    this.scratch = scratch;
  }

  /**
   * Hugging Face's {@code self.scaling}: {@code qk_head_dim^-0.5}, for V3 with YaRN times {@code
   * mscale(factor, mscale_all_dim)^2} (the raw {@code factor}, not the position ratio), in double
   * as Python computes it.
   */
  static double softmaxScale(ModelConfig config) {
    MlaConfig m = config.mla();
    double scale = Math.pow(m.qkHeadDim(), -0.5);
    YarnScaling yarn = config.yarn();
    if (m.yarnSoftmaxScale()
        && yarn != null
        && yarn.mscaleAllDim() != null
        && yarn.mscaleAllDim() != 0) {
      double mscale = Yarn.mscale(yarn.factor(), yarn.mscaleAllDim());
      scale = scale * mscale * mscale;
    }
    return scale;
  }

  /** The rotary embedding of the rope part: {@code qk_rope_head_dim} wide, YaRN if configured. */
  static Rope rope(ModelConfig config) {
    MlaConfig m = config.mla();
    return Rope.of(
        m.qkRopeHeadDim(),
        config.ropeTheta(),
        config.maxPositions(),
        config.yarn(),
        m.interleavedRope());
  }

  @Override
  public void forward(LayerWeights lw, Workspace ws, KvCache cache) {
    int n = ws.tokens;
    int start = cache.length();
    int span = start + n;
    ensure(n, span);
    RmsNorm.apply(
        ws.residual, ws.normed, lw.vector(Role.INPUT_NORM), n, hidden, config.rmsNormEps());
    ws.normedNd.write(ws.normed, n * hidden);
    INDArray x = ws.normedNd.array();
    if (qLora > 0) {
      Tensors.linear(
          x,
          new INDArray[] {lw.matrix(Role.QUERY_A), lw.matrix(Role.KV_A)},
          new INDArray[] {qaNd.rows(n), kvaNd.rows(n)});
      qaNd.read(qa, n * qLora);
      RmsNorm.apply(qa, qa, lw.vector(Role.QUERY_A_NORM), n, qLora, LORA_NORM_EPS);
      qaNd.write(qa, n * qLora);
      Tensors.linear(qaNd.rows(n), lw.matrix(Role.QUERY_B), qNd.rows(n));
    } else {
      Tensors.linear(
          x,
          new INDArray[] {lw.matrix(Role.QUERY), lw.matrix(Role.KV_A)},
          new INDArray[] {qNd.rows(n), kvaNd.rows(n)});
    }
    qNd.read(q, n * heads * qkHead);
    kvaNd.read(kva, n * cached);
    float[] kvNorm = lw.vector(Role.KV_A_NORM);
    for (int t = 0; t < n; t++) {
      RmsNorm.row(kva, t * cached, kva, t * cached, kvNorm, kvLora, LORA_NORM_EPS);
      rope.angles(start + t, cos, sin);
      rope.rotate(q, t * heads * qkHead + nope, heads, qkHead, cos, sin);
      rope.rotate(kva, t * cached + kvLora, 1, cached, cos, sin);
    }
    float[] rows = cache.keys(layer);
    System.arraycopy(kva, 0, rows, start * cached, n * cached);

    // [k_nope | v] of every head for every position so far, from the cached compressed kv
    for (int j = 0; j < span; j++) {
      System.arraycopy(rows, j * cached, compressed, j * kvLora, kvLora);
    }
    compressedNd.write(compressed, span * kvLora);
    Tensors.linear(compressedNd.rows(span), lw.matrix(Role.KV_B), expandedNd.rows(span));
    expandedNd.read(expanded, span * heads * kvWidth);

    attend(n, start, rows);

    outNd.write(out, n * heads * vDim);
    Tensors.linear(outNd.rows(n), lw.matrix(Role.OUTPUT), ws.projectedNd.array());
    ws.projectedNd.read(ws.projected, n * hidden);
    for (int i = 0; i < n * hidden; i++) {
      ws.residual[i] += ws.projected[i];
    }
  }

  /** Causal softmax attention of each new token's heads over every position so far. */
  private void attend(int n, int start, float[] rows) {
    int expandedRow = heads * kvWidth;
    for (int t = 0; t < n; t++) {
      int position = start + t;
      for (int h = 0; h < heads; h++) {
        int qOff = (t * heads + h) * qkHead;
        for (int j = 0; j <= position; j++) {
          int kOff = j * expandedRow + h * kvWidth;
          int peOff = j * cached + kvLora;
          // the dot product over [nope | rope], in Hugging Face's concatenated order
          float s = 0f;
          for (int d = 0; d < nope; d++) {
            s += q[qOff + d] * expanded[kOff + d];
          }
          for (int d = 0; d < ropeDim; d++) {
            s += q[qOff + nope + d] * rows[peOff + d];
          }
          scores[j] = s * scale;
        }
        VectorMath.softmax(scores, 0, position + 1, scores, 0);
        int o = (t * heads + h) * vDim;
        Arrays.fill(out, o, o + vDim, 0f);
        for (int j = 0; j <= position; j++) {
          float p = scores[j];
          int vOff = j * expandedRow + h * kvWidth + nope;
          for (int d = 0; d < vDim; d++) {
            out[o + d] += p * expanded[vOff + d];
          }
        }
      }
    }
  }

  /** Grows the shared scratch and takes its current buffers. */
  private void ensure(int n, int span) {
    Scratch b = scratch;
    b.ensure(n, span);
    qaNd = b.qaNd;
    qNd = b.qNd;
    kvaNd = b.kvaNd;
    outNd = b.outNd;
    compressedNd = b.compressedNd;
    expandedNd = b.expandedNd;
    qa = b.qa;
    q = b.q;
    kva = b.kva;
    out = b.out;
    compressed = b.compressed;
    expanded = b.expanded;
    scores = b.scores;
  }
}
