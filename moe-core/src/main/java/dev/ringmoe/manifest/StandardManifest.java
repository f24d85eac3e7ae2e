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
public final class StandardManifest implements WeightManifest {
  private final ModelConfig config;
  private final TensorNames n;
  private final Section globals;
  private final Section[] dense;

  public StandardManifest(ModelConfig config, TensorNames names) {
    this.config = config;
    this.n = names;
    long h = config.hiddenSize();
    long v = config.vocabSize();
    List<TensorEntry> g = new ArrayList<>();
    g.add(global(Role.EMBEDDING, v, h));
    g.add(global(Role.FINAL_NORM, h));
    if (!config.tieWordEmbeddings()) {
      g.add(global(Role.LM_HEAD, v, h));
    }
    this.globals = new Section(Section.Kind.GLOBAL, -1, -1, g);
    this.dense = new Section[config.layers()];
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
    if (config.isMoeLayer(l)) {
      t.add(layer(Role.ROUTER, l, config.experts(), h));
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
  public int layers() {
    return config.layers();
  }

  @Override
  public int experts(int layer) {
    return config.isMoeLayer(layer) ? config.experts() : 0;
  }

  @Override
  public Section globals() {
    return globals;
  }

  @Override
  public Section dense(int layer) {
    return dense[layer];
  }

  @Override
  public Section expert(int layer, int expert) {
    Preconditions.checkArgument(
        expert >= 0 && expert < experts(layer), "layer %s has no expert %s", layer, expert);
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    return new Section(
        Section.Kind.EXPERT,
        layer,
        expert,
        List.of(
            new TensorEntry(
                Role.EXPERT_GATE,
                n.expert(Role.EXPERT_GATE, layer, expert),
                new long[] {i, h},
                false),
            new TensorEntry(
                Role.EXPERT_UP, n.expert(Role.EXPERT_UP, layer, expert), new long[] {i, h}, false),
            new TensorEntry(
                Role.EXPERT_DOWN,
                n.expert(Role.EXPERT_DOWN, layer, expert),
                new long[] {h, i},
                false)));
  }
}
