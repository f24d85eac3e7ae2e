package dev.ringmoe.manifest;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.QkNorm;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest of a Llama-style MoE decoder as {@link ModelConfig} describes it: GQA attention with
 * optional q/k/v biases and q/k RMSNorms, then per layer either a sparse block (router, routed
 * SwiGLU experts, an optional shared expert with an optional sigmoid gate) or a dense SwiGLU MLP.
 * Mixtral, Qwen2-MoE, Qwen3-MoE and OLMoE differ only in their {@link TensorNames} and
 * configuration.
 */
public final class StandardManifest extends LayeredManifest {
  private final TensorNames n;

  public StandardManifest(ModelConfig config, TensorNames names) {
    super(config);
    this.n = names;
    long h = config.hiddenSize();
    long v = config.vocabSize();
    List<TensorEntry> g = new ArrayList<>();
    g.add(global(Role.EMBEDDING, v, h));
    g.add(global(Role.FINAL_NORM, h));
    if (!config.tieWordEmbeddings()) {
      g.add(global(Role.LM_HEAD, v, h));
    }
    globals = new Section(Section.Kind.GLOBAL, -1, -1, g);
    dense = new Section[config.layers()];
    for (int l = 0; l < dense.length; l++) {
      dense[l] = new Section(Section.Kind.DENSE, l, -1, denseTensors(l));
    }
  }

  private List<TensorEntry> denseTensors(int l) {
    long h = config.hiddenSize();
    long q = (long) config.heads() * config.headDim();
    long kv = (long) config.kvHeads() * config.headDim();
    List<TensorEntry> t = new ArrayList<>();
    t.add(layer(Role.INPUT_NORM, l, h));
    t.add(layer(Role.POST_ATTENTION_NORM, l, h));
    if (config.attentionBias()) {
      t.add(layer(Role.QUERY_BIAS, l, q));
      t.add(layer(Role.KEY_BIAS, l, kv));
      t.add(layer(Role.VALUE_BIAS, l, kv));
    }
    if (config.qkNorm() == QkNorm.PER_HEAD) {
      t.add(layer(Role.QUERY_NORM, l, config.headDim()));
      t.add(layer(Role.KEY_NORM, l, config.headDim()));
    } else if (config.qkNorm() == QkNorm.WHOLE) {
      t.add(layer(Role.QUERY_NORM, l, q));
      t.add(layer(Role.KEY_NORM, l, kv));
    }
    t.add(layer(Role.QUERY, l, q, h));
    t.add(layer(Role.KEY, l, kv, h));
    t.add(layer(Role.VALUE, l, kv, h));
    t.add(layer(Role.OUTPUT, l, h, q));
    if (config.outputBias()) {
      t.add(layer(Role.OUTPUT_BIAS, l, h));
    }
    if (config.attentionSinks()) {
      t.add(layer(Role.ATTENTION_SINKS, l, config.heads()));
    }
    if (config.isMoeLayer(l)) {
      t.add(layer(Role.ROUTER, l, config.experts(), h));
      if (config.routerBias()) {
        t.add(layer(Role.ROUTER_BIAS, l, config.experts()));
      }
      long s = config.sharedExpertIntermediateSize();
      if (s > 0) {
        t.add(layer(Role.SHARED_GATE, l, s, h));
        t.add(layer(Role.SHARED_UP, l, s, h));
        t.add(layer(Role.SHARED_DOWN, l, h, s));
        if (config.sharedExpertGate()) {
          t.add(layer(Role.SHARED_EXPERT_GATE, l, 1, h));
        }
      }
    } else {
      long d = config.denseIntermediateSize();
      t.add(layer(Role.MLP_GATE, l, d, h));
      t.add(layer(Role.MLP_UP, l, d, h));
      t.add(layer(Role.MLP_DOWN, l, h, d));
    }
    return t;
  }

  private TensorEntry global(Role role, long... shape) {
    return new TensorEntry(role, n.global(role), shape, false);
  }

  private TensorEntry layer(Role role, int layer, long... shape) {
    return new TensorEntry(role, n.layer(role, layer), shape, false);
  }

  @Override
  public Section expert(int layer, int expert) {
    checkExpert(layer, expert);
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    long e = config.experts();
    List<TensorEntry> t = new ArrayList<>();
    switch (n.expertLayout()) {
      case SEPARATE -> {
        t.add(expertEntry(Role.EXPERT_GATE, layer, expert, i, h));
        t.add(expertEntry(Role.EXPERT_UP, layer, expert, i, h));
        t.add(expertEntry(Role.EXPERT_DOWN, layer, expert, h, i));
        if (config.expertBias()) {
          t.add(expertEntry(Role.EXPERT_GATE_BIAS, layer, expert, i));
          t.add(expertEntry(Role.EXPERT_UP_BIAS, layer, expert, i));
          t.add(expertEntry(Role.EXPERT_DOWN_BIAS, layer, expert, h));
        }
      }
      case STACKED_INTERLEAVED_TRANSPOSED -> {
        long[] gateUp = {e, h, 2 * i};
        long[] down = {e, i, h};
        t.add(
            sliced(
                Role.EXPERT_GATE,
                layer,
                StoredSlice.transposedColumns(gateUp, expert, 0, 2),
                i,
                h));
        t.add(
            sliced(
                Role.EXPERT_UP, layer, StoredSlice.transposedColumns(gateUp, expert, 1, 2), i, h));
        t.add(
            sliced(
                Role.EXPERT_DOWN, layer, StoredSlice.transposedColumns(down, expert, 0, 1), h, i));
        stackedBiases(t, layer, expert);
      }
      case STACKED_INTERLEAVED_MXFP4 -> {
        long[] gateUp = {e, 2 * i, h};
        long[] down = {e, h, i};
        String gu = n.layer(Role.EXPERT_GATE, layer);
        String d = n.layer(Role.EXPERT_DOWN, layer);
        t.add(
            sliced(
                Role.EXPERT_GATE,
                layer,
                StoredSlice.mxfp4Rows(gateUp, expert, 0, 2, scales(gu)),
                i,
                h));
        t.add(
            sliced(
                Role.EXPERT_UP,
                layer,
                StoredSlice.mxfp4Rows(gateUp, expert, 1, 2, scales(gu)),
                i,
                h));
        t.add(
            sliced(
                Role.EXPERT_DOWN,
                layer,
                StoredSlice.mxfp4Rows(down, expert, 0, 1, scales(d)),
                h,
                i));
        stackedBiases(t, layer, expert);
      }
      default -> throw new AssertionError(n.expertLayout());
    }
    return new Section(Section.Kind.EXPERT, layer, expert, t);
  }

  /** The scales tensor beside an MXFP4 {@code *_blocks} tensor. */
  private static String scales(String blocks) {
    Preconditions.checkArgument(blocks.endsWith("_blocks"), "MXFP4 blocks name %s", blocks);
    return blocks.substring(0, blocks.length() - "_blocks".length()) + "_scales";
  }

  /** A stacked layout's biases: gate/up fused and interleaved [experts, 2I], down [experts, h]. */
  private void stackedBiases(List<TensorEntry> t, int layer, int expert) {
    if (!config.expertBias()) {
      return;
    }
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    long[] gateUp = {config.experts(), 2 * i};
    long[] down = {config.experts(), h};
    t.add(sliced(Role.EXPERT_GATE_BIAS, layer, StoredSlice.vector(gateUp, expert, 0, 2), i));
    t.add(sliced(Role.EXPERT_UP_BIAS, layer, StoredSlice.vector(gateUp, expert, 1, 2), i));
    t.add(sliced(Role.EXPERT_DOWN_BIAS, layer, StoredSlice.vector(down, expert, 0, 1), h));
  }

  private TensorEntry expertEntry(Role role, int layer, int expert, long... shape) {
    return new TensorEntry(role, n.expert(role, layer, expert), shape, false);
  }

  private TensorEntry sliced(Role role, int layer, StoredSlice slice, long... shape) {
    return new TensorEntry(role, n.layer(role, layer), shape, false).withSlice(slice);
  }
}
