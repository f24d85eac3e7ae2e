package dev.ringmoe.manifest;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.WeightNames;
import java.util.ArrayList;
import java.util.List;

/** Mixtral's tensors: GQA attention without biases, a softmax router, SwiGLU experts. */
final class MixtralManifest implements WeightManifest {
  private final ModelConfig config;
  private final WeightNames n;
  private final Section globals;
  private final Section[] dense;

  MixtralManifest(ModelConfig config) {
    this.config = config;
    this.n = config.architecture().weightNames();
    long h = config.hiddenSize();
    long v = config.vocabSize();
    List<TensorEntry> g = new ArrayList<>();
    g.add(new TensorEntry(Role.EMBEDDING, n.embedding(), new long[] {v, h}, false));
    g.add(new TensorEntry(Role.FINAL_NORM, n.finalNorm(), new long[] {h}, false));
    if (!config.tieWordEmbeddings()) {
      g.add(new TensorEntry(Role.LM_HEAD, n.lmHead(), new long[] {v, h}, false));
    }
    this.globals = new Section(Section.Kind.GLOBAL, -1, -1, g);
    this.dense = new Section[config.layers()];
    long q = (long) config.heads() * config.headDim();
    long kv = (long) config.kvHeads() * config.headDim();
    for (int l = 0; l < dense.length; l++) {
      dense[l] = new Section(Section.Kind.DENSE, l, -1, List.of(
          new TensorEntry(Role.INPUT_NORM, n.inputNorm(l), new long[] {h}, false),
          new TensorEntry(Role.POST_ATTENTION_NORM, n.postAttentionNorm(l), new long[] {h}, false),
          new TensorEntry(Role.QUERY, n.query(l), new long[] {q, h}, false),
          new TensorEntry(Role.KEY, n.key(l), new long[] {kv, h}, false),
          new TensorEntry(Role.VALUE, n.value(l), new long[] {kv, h}, false),
          new TensorEntry(Role.OUTPUT, n.output(l), new long[] {h, q}, false),
          new TensorEntry(Role.ROUTER, n.router(l), new long[] {config.experts(), h}, false)));
    }
  }

  @Override
  public int layers() {
    return config.layers();
  }

  @Override
  public int experts(int layer) {
    return config.experts();
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
    Preconditions.checkArgument(expert >= 0 && expert < experts(layer), "layer %s has no expert %s", layer, expert);
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    return new Section(Section.Kind.EXPERT, layer, expert, List.of(
        new TensorEntry(Role.EXPERT_GATE, n.expertGate(layer, expert), new long[] {i, h}, false),
        new TensorEntry(Role.EXPERT_UP, n.expertUp(layer, expert), new long[] {i, h}, false),
        new TensorEntry(Role.EXPERT_DOWN, n.expertDown(layer, expert), new long[] {h, i}, false)));
  }
}
