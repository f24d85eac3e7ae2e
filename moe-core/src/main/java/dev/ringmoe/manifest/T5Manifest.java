package dev.ringmoe.manifest;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.EncoderDecoderConfig;
import dev.ringmoe.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest of a T5-style encoder-decoder with Switch Transformers' sparse layers, in Hugging
 * Face's names ({@code encoder.block.%d.layer.0.SelfAttention.q.weight}, {@code
 * decoder.block.%d.layer.2.mlp.experts.expert_%d.wi.weight}). Layers are numbered encoder first
 * ({@link EncoderDecoderConfig}). Every layer has a self-attention block ({@code INPUT_NORM},
 * {@code QUERY}..{@code OUTPUT}, {@code RELATIVE_ATTENTION_BIAS} in the first layer of each stack),
 * a decoder layer also a cross-attention block ({@code CROSS_*}); then the feed-forward norm
 * ({@code POST_ATTENTION_NORM}) and either a router with ReLU experts ({@code EXPERT_UP} = {@code
 * wi}, {@code EXPERT_DOWN} = {@code wo}) or a dense ReLU MLP ({@code MLP_UP}, {@code MLP_DOWN}).
 * The globals are the shared embedding, both stacks' final norms and, unless tied, the LM head.
 *
 * <p>Immutable and thread-safe.
 */
public final class T5Manifest extends LayeredManifest {
  private final EncoderDecoderConfig ed;

  /**
   * @throws IllegalArgumentException if {@code config} is not an encoder-decoder
   */
  public T5Manifest(ModelConfig config) {
    super(config);
    this.ed = config.encoderDecoder();
    Preconditions.checkArgument(ed != null, "%s is not an encoder-decoder", config);
    long h = config.hiddenSize();
    long v = config.vocabSize();
    List<TensorEntry> g = new ArrayList<>();
    g.add(new TensorEntry(Role.EMBEDDING, "shared.weight", new long[] {v, h}, false));
    g.add(
        new TensorEntry(
            Role.ENCODER_FINAL_NORM, "encoder.final_layer_norm.weight", new long[] {h}, false));
    g.add(
        new TensorEntry(Role.FINAL_NORM, "decoder.final_layer_norm.weight", new long[] {h}, false));
    if (!config.tieWordEmbeddings()) {
      g.add(new TensorEntry(Role.LM_HEAD, "lm_head.weight", new long[] {v, h}, false));
    }
    globals = new Section(Section.Kind.GLOBAL, -1, -1, g);
    dense = new Section[config.layers()];
    for (int l = 0; l < dense.length; l++) {
      dense[l] = new Section(Section.Kind.DENSE, l, -1, denseTensors(l));
    }
  }

  /** {@code encoder.block.3.} or {@code decoder.block.3.} */
  private String block(int layer) {
    return (ed.isEncoderLayer(layer) ? "encoder" : "decoder")
        + ".block."
        + ed.stackIndex(layer)
        + ".";
  }

  /** The sub-layer holding the feed-forward network: 1 in the encoder, 2 in the decoder. */
  private String feedForward(int layer) {
    return block(layer) + "layer." + (ed.isEncoderLayer(layer) ? 1 : 2) + ".";
  }

  private List<TensorEntry> denseTensors(int l) {
    long h = config.hiddenSize();
    long inner = (long) config.heads() * config.headDim();
    String self = block(l) + "layer.0.";
    List<TensorEntry> t = new ArrayList<>();
    t.add(entry(Role.INPUT_NORM, self + "layer_norm.weight", h));
    t.add(entry(Role.QUERY, self + "SelfAttention.q.weight", inner, h));
    t.add(entry(Role.KEY, self + "SelfAttention.k.weight", inner, h));
    t.add(entry(Role.VALUE, self + "SelfAttention.v.weight", inner, h));
    t.add(entry(Role.OUTPUT, self + "SelfAttention.o.weight", h, inner));
    if (ed.stackIndex(l) == 0) {
      t.add(
          entry(
              Role.RELATIVE_ATTENTION_BIAS,
              self + "SelfAttention.relative_attention_bias.weight",
              ed.relativeBuckets(),
              config.heads()));
    }
    if (!ed.isEncoderLayer(l)) {
      String cross = block(l) + "layer.1.";
      t.add(entry(Role.CROSS_NORM, cross + "layer_norm.weight", h));
      t.add(entry(Role.CROSS_QUERY, cross + "EncDecAttention.q.weight", inner, h));
      t.add(entry(Role.CROSS_KEY, cross + "EncDecAttention.k.weight", inner, h));
      t.add(entry(Role.CROSS_VALUE, cross + "EncDecAttention.v.weight", inner, h));
      t.add(entry(Role.CROSS_OUTPUT, cross + "EncDecAttention.o.weight", h, inner));
    }
    String ff = feedForward(l);
    t.add(entry(Role.POST_ATTENTION_NORM, ff + "layer_norm.weight", h));
    if (config.isMoeLayer(l)) {
      t.add(entry(Role.ROUTER, ff + "mlp.router.classifier.weight", config.experts(), h));
    } else {
      long d = config.denseIntermediateSize();
      t.add(entry(Role.MLP_UP, ff + "mlp.wi.weight", d, h));
      t.add(entry(Role.MLP_DOWN, ff + "mlp.wo.weight", h, d));
    }
    return t;
  }

  private static TensorEntry entry(Role role, String name, long... shape) {
    return new TensorEntry(role, name, shape, false);
  }

  @Override
  public Section expert(int layer, int expert) {
    checkExpert(layer, expert);
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    String e = feedForward(layer) + "mlp.experts.expert_" + expert + ".";
    return new Section(
        Section.Kind.EXPERT,
        layer,
        expert,
        List.of(
            entry(Role.EXPERT_UP, e + "wi.weight", i, h),
            entry(Role.EXPERT_DOWN, e + "wo.weight", h, i)));
  }
}
