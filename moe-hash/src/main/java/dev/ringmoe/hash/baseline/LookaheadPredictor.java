package dev.ringmoe.hash.baseline;

import com.google.common.base.Preconditions;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.LayerInput;
import dev.ringmoe.model.LayerWeights;
import dev.ringmoe.model.ResidentWeightStore;
import dev.ringmoe.model.RmsNorm;
import dev.ringmoe.tensor.VectorMath;
import java.io.IOException;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Next-layer gate lookahead (mixtral-offloading's speculative prefetch), evaluated offline: layer
 * {@code l}'s scores are layer {@code l}'s router applied to {@code RMSNorm_l(x)}, with {@code
 * RMSNorm_l} using layer {@code l}'s post-attention norm weight and the model's eps, and {@code x}
 * the latest hidden state available one layer earlier:
 *
 * <ul>
 *   <li>layer {@code l >= 1}: the residual after layer {@code l-1}'s attention (the state entering
 *       layer {@code l-1}'s MoE block), so the prefetch for layer {@code l} can overlap layer
 *       {@code l-1}'s experts;
 *   <li>layer 0: the token embeddings (the state entering layer 0; there is no earlier layer to
 *       overlap with, so this is lookahead over layer 0's attention only).
 * </ul>
 *
 * <p>This is exactly what the ring gives {@link ExpertPredictor#gateLookahead()} at run time, so
 * the offline numbers are the run-time prefetch hit rates. Offline it needs traces recorded with
 * hidden states ({@link dev.ringmoe.hash.trace.TraceRecorder} with {@code hiddenStates = true}).
 *
 * <p>Holds float32 copies of every layer's router and norm (hidden × (experts + 1) floats a layer)
 * and no native memory. As an {@link ExpertPredictor} it applies its own copies to {@link
 * LayerInput#hidden()}, so unlike the core gate lookahead it does not need the layer's dense
 * weights to be resident. Immutable and thread-safe.
 */
public final class LookaheadPredictor implements SequencePredictor, ExpertPredictor {
  private final float[][] routers;
  private final float[][] norms;
  private final int hidden;
  private final int experts;
  private final int topK;
  private final double eps;

  /**
   * @param routers per layer the router, [experts][hidden] row-major
   * @param norms per layer the post-attention RMSNorm weight, [hidden]
   */
  public LookaheadPredictor(
      float[][] routers, float[][] norms, int hidden, int experts, int topK, double eps) {
    Preconditions.checkArgument(
        routers.length > 0 && routers.length == norms.length, "routers and norms per layer");
    for (int l = 0; l < routers.length; l++) {
      Preconditions.checkArgument(routers[l].length == experts * hidden, "layer %s router size", l);
      Preconditions.checkArgument(norms[l].length == hidden, "layer %s norm size", l);
    }
    this.routers = routers;
    this.norms = norms;
    this.hidden = hidden;
    this.experts = experts;
    this.topK = topK;
    this.eps = eps;
  }

  /** Reads every layer's router and post-attention norm from the checkpoint in {@code dir}. */
  public static LookaheadPredictor load(Path dir) throws IOException {
    ModelConfig config = ModelConfig.load(dir);
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return load(checkpoint, config);
    }
  }

  /**
   * Reads the router and post-attention norm of every layer that routes from {@code checkpoint},
   * indexed as routing traces index them ({@link ModelConfig#routingIndex}).
   */
  public static LookaheadPredictor load(Checkpoint checkpoint, ModelConfig config)
      throws IOException {
    int[] moeLayers = config.tracedLayers();
    int layers = moeLayers.length;
    int h = config.hiddenSize();
    int e = config.experts();
    float[][] routers = new float[layers][];
    float[][] norms = new float[layers][];
    for (int l = 0; l < layers; l++) {
      LayerWeights w = ResidentWeightStore.loadLayer(checkpoint, config, moeLayers[l]);
      try {
        float[][] m = w.router().toFloatMatrix();
        Preconditions.checkState(
            m.length == e && m[0].length == h,
            "layer %s router is %sx%s",
            l,
            m.length,
            m[0].length);
        routers[l] = new float[e * h];
        for (int x = 0; x < e; x++) {
          System.arraycopy(m[x], 0, routers[l], x * h, h);
        }
        norms[l] = w.postAttentionNorm().clone();
      } finally {
        w.close();
      }
    }
    return new LookaheadPredictor(routers, norms, h, e, config.topK(), config.rmsNormEps());
  }

  public int layers() {
    return routers.length;
  }

  /**
   * Layer {@code layer}'s router logits for {@code tokens} rows of {@code state} (row {@code r} at
   * {@code stateOffset + r * stateStride}), written to {@code out} rows at {@code outOffset + r *
   * outStride}.
   */
  public void scores(
      int layer,
      float[] state,
      int stateOffset,
      int stateStride,
      int tokens,
      float[] out,
      int outOffset,
      int outStride) {
    float[] router = routers[layer];
    float[] norm = norms[layer];
    float[] normed = new float[hidden];
    for (int r = 0; r < tokens; r++) {
      RmsNorm.row(state, stateOffset + r * stateStride, normed, 0, norm, hidden, eps);
      int o = outOffset + r * outStride;
      for (int e = 0; e < experts; e++) {
        int w = e * hidden;
        float s = 0f;
        for (int i = 0; i < hidden; i++) {
          s += router[w + i] * normed[i];
        }
        out[o + e] = s;
      }
    }
  }

  @Override
  public RoutingPrediction predict(TraceSequence seq) {
    Preconditions.checkArgument(
        seq.hasHiddenStates(),
        "gate lookahead needs hidden states: record the trace with hiddenStates = true");
    Preconditions.checkArgument(
        seq.layers() == routers.length && seq.experts() == experts && seq.hidden() == hidden,
        "trace shape does not match the model");
    int layers = seq.layers();
    int t = seq.tokens();
    float[] scores = new float[t * layers * experts];
    // layer 0 from the embeddings [T][hidden]
    scores(0, seq.embeddings(), 0, hidden, t, scores, 0, layers * experts);
    // layer l from the state entering layer l-1's MoE block, [T][layers][hidden]
    for (int l = 1; l < layers; l++) {
      scores(
          l,
          seq.hiddenBeforeMoe(),
          (l - 1) * hidden,
          layers * hidden,
          t,
          scores,
          l * experts,
          layers * experts);
    }
    return new RoutingPrediction(t, layers, experts, scores);
  }

  /** The union over the pass's tokens of each token's predicted top-k for {@code input.layer()}. */
  @Override
  public BitSet predict(LayerInput input) {
    int layer = input.routingLayer();
    if (layer < 0 || layer >= routers.length || input.config().hiddenSize() != hidden) {
      return null;
    }
    int tokens = input.tokens();
    float[] logits = new float[tokens * experts];
    scores(layer, input.hidden(), 0, hidden, tokens, logits, 0, experts);
    BitSet out = new BitSet(experts);
    for (int r = 0; r < tokens; r++) {
      for (int e : VectorMath.topK(logits, r * experts, experts, topK)) {
        out.set(e);
      }
    }
    return out;
  }

  @Override
  public boolean readsHiddenStates() {
    return true;
  }

  @Override
  public String name() {
    return "lookahead";
  }
}
