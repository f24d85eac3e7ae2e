package dev.ringmoe.manifest;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.BlockFp8;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest of a DeepSeek-V2/V3 decoder ({@link ModelConfig#mla()} set): multi-head latent
 * attention ({@link Role#QUERY} or {@link Role#QUERY_A}, {@link Role#QUERY_A_NORM}, {@link
 * Role#QUERY_B}; {@link Role#KV_A}, {@link Role#KV_A_NORM}, {@link Role#KV_B}; {@link
 * Role#OUTPUT}), then per layer a dense SwiGLU MLP or a sparse block (router, with the sigmoid
 * gate's {@link Role#ROUTER_BIAS}, routed SwiGLU experts and an optional ungated shared expert).
 * Names come from the family's {@link TensorNames}. Immutable.
 */
public final class MlaManifest extends LayeredManifest {
  private final TensorNames n;

  /**
   * @throws IllegalArgumentException if {@code config} has no {@link ModelConfig#mla()}
   */
  public MlaManifest(ModelConfig config, TensorNames names) {
    super(config);
    Preconditions.checkArgument(config.mla() != null, "not an MLA configuration: %s", config);
    this.n = names;
    long h = config.hiddenSize();
    long v = config.vocabSize();
    List<TensorEntry> g = new ArrayList<>();
    g.add(new TensorEntry(Role.EMBEDDING, n.global(Role.EMBEDDING), new long[] {v, h}, false));
    g.add(new TensorEntry(Role.FINAL_NORM, n.global(Role.FINAL_NORM), new long[] {h}, false));
    if (!config.tieWordEmbeddings()) {
      g.add(new TensorEntry(Role.LM_HEAD, n.global(Role.LM_HEAD), new long[] {v, h}, false));
    }
    globals = new Section(Section.Kind.GLOBAL, -1, -1, g);
    dense = new Section[config.layers()];
    for (int l = 0; l < dense.length; l++) {
      dense[l] = new Section(Section.Kind.DENSE, l, -1, denseTensors(l));
    }
  }

  private List<TensorEntry> denseTensors(int l) {
    MlaConfig m = config.mla();
    long h = config.hiddenSize();
    long heads = config.heads();
    List<TensorEntry> t = new ArrayList<>();
    t.add(layer(Role.INPUT_NORM, l, h));
    t.add(layer(Role.POST_ATTENTION_NORM, l, h));
    long q = heads * m.qkHeadDim();
    if (m.qLoraRank() > 0) {
      t.add(layer(Role.QUERY_A, l, m.qLoraRank(), h));
      t.add(layer(Role.QUERY_A_NORM, l, m.qLoraRank()));
      t.add(layer(Role.QUERY_B, l, q, m.qLoraRank()));
    } else {
      t.add(layer(Role.QUERY, l, q, h));
    }
    t.add(layer(Role.KV_A, l, m.cachedWidth(), h));
    t.add(layer(Role.KV_A_NORM, l, m.kvLoraRank()));
    t.add(layer(Role.KV_B, l, heads * (m.qkNopeHeadDim() + m.vHeadDim()), m.kvLoraRank()));
    t.add(layer(Role.OUTPUT, l, h, heads * m.vHeadDim()));
    if (config.isMoeLayer(l)) {
      t.add(layer(Role.ROUTER, l, config.experts(), h));
      if (config.gate() == GateKind.SIGMOID_GROUP_LIMITED) {
        t.add(layer(Role.SCORE_CORRECTION_BIAS, l, config.experts()));
      }
      long s = config.sharedExpertIntermediateSize();
      if (s > 0) {
        t.add(layer(Role.SHARED_GATE, l, s, h));
        t.add(layer(Role.SHARED_UP, l, s, h));
        t.add(layer(Role.SHARED_DOWN, l, h, s));
      }
    } else {
      long d = config.denseIntermediateSize();
      t.add(layer(Role.MLP_GATE, l, d, h));
      t.add(layer(Role.MLP_UP, l, d, h));
      t.add(layer(Role.MLP_DOWN, l, h, d));
    }
    return t;
  }

  private TensorEntry layer(Role role, int layer, long... shape) {
    return quantizable(new TensorEntry(role, n.layer(role, layer), shape, false));
  }

  /**
   * With block-wise FP8 ({@link ModelConfig#fp8()}), every linear weight of a layer may be FP8
   * except the router, as in the released DeepSeek-V3 (norms, biases, router, embeddings and LM
   * head stay unquantized).
   */
  private TensorEntry quantizable(TensorEntry t) {
    BlockFp8 fp8 = config.fp8();
    if (fp8 == null || t.onHeap() || t.role() == Role.ROUTER) {
      return t;
    }
    return t.withFp8Scale(fp8.blockRows(), fp8.blockCols());
  }

  @Override
  public Section expert(int layer, int expert) {
    checkExpert(layer, expert);
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    List<TensorEntry> t = new ArrayList<>();
    t.add(expertEntry(Role.EXPERT_GATE, layer, expert, i, h));
    t.add(expertEntry(Role.EXPERT_UP, layer, expert, i, h));
    t.add(expertEntry(Role.EXPERT_DOWN, layer, expert, h, i));
    return new Section(Section.Kind.EXPERT, layer, expert, t);
  }

  private TensorEntry expertEntry(Role role, int layer, int expert, long... shape) {
    return quantizable(new TensorEntry(role, n.expert(role, layer, expert), shape, false));
  }
}
