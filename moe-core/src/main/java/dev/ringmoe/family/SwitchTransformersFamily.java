package dev.ringmoe.family;

import com.google.gson.JsonObject;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ConfigFields;
import dev.ringmoe.config.EncoderDecoderConfig;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.config.ModelFamily;
import dev.ringmoe.manifest.T5Manifest;
import dev.ringmoe.manifest.WeightManifest;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Switch Transformers (SiDA's models, Switch-base-8 to -256): a T5-style encoder-decoder whose
 * every {@code sparse_step}-th layer (layer i sparse iff {@code i % step == 1}, or every layer when
 * the step is 1) replaces the ReLU feed-forward network with a top-1 router over ReLU experts; the
 * expert output is scaled by its router probability. T5's RMS layer norm, bucketed relative
 * attention bias, no {@code 1/sqrt(d)} attention scaling and cross-attention; tied embeddings (the
 * default) rescale the decoder output by {@code d_model^-0.5} before the LM head. Runs through
 * {@code dev.ringmoe.seq2seq.EncoderDecoderModel}.
 *
 * <p>Its {@code config.json} names its sizes T5's way, so it reads every field itself ({@link
 * #readsSharedFields()} is false): {@code d_model}, {@code num_layers}, {@code num_decoder_layers}
 * (default {@code num_layers}), {@code num_heads}, {@code d_kv}, {@code d_ff}, {@code num_experts},
 * {@code expert_capacity}, {@code num_sparse_encoder_layers} and {@code num_sparse_decoder_layers}
 * (Hugging Face derives the steps from them; a stored {@code encoder_sparse_step} or {@code
 * decoder_sparse_step} that disagrees is refused), {@code relative_attention_num_buckets}, {@code
 * relative_attention_max_distance}, {@code layer_norm_epsilon}, {@code vocab_size}, {@code
 * tie_word_embeddings} (default true, as in Hugging Face), {@code eos_token_id}, {@code
 * decoder_start_token_id} (default {@code pad_token_id}, default 0). Defaults are Hugging Face's
 * {@code SwitchTransformersConfig}'s. Refused: {@code dense_act_fn} other than {@code relu}, {@code
 * router_bias true}, {@code router_dtype} other than {@code float32}, {@code is_gated_act true}.
 */
public final class SwitchTransformersFamily implements ModelFamily {
  /** The sequence lengths are not bounded by the model (relative positions); this is a guard. */
  static final int MAX_POSITIONS = 1 << 20;

  /** The {@code architectures} name. */
  public static final String ARCHITECTURE = "SwitchTransformersForConditionalGeneration";

  @Override
  public List<String> architectures() {
    return List.of(ARCHITECTURE);
  }

  @Override
  public String modelType() {
    return "switch_transformers";
  }

  @Override
  public GateKind defaultGate() {
    return GateKind.SOFTMAX_TOPK;
  }

  @Override
  public boolean readsSharedFields() {
    return false;
  }

  @Override
  public void readConfig(ConfigFields json, ModelConfig.Builder b) throws ModelConfigException {
    int encoder = orElse(json.optionalInt("num_layers"), 12);
    int decoder = orElse(json.optionalInt("num_decoder_layers"), encoder);
    if (encoder < 1 || decoder < 1 || encoder > ModelConfig.MAX_LAYERS - decoder) {
      throw json.refuse(
          "num_layers ("
              + encoder
              + ") and num_decoder_layers ("
              + decoder
              + ") must be at least 1 and sum to at most "
              + ModelConfig.MAX_LAYERS);
    }
    int encoderStep = step(json, "num_sparse_encoder_layers", "encoder_sparse_step", encoder);
    int decoderStep = step(json, "num_sparse_decoder_layers", "decoder_sparse_step", decoder);
    int[] dense = denseLayers(encoder, encoderStep, decoder, decoderStep);
    String act = orElse(json.optionalString("dense_act_fn"), "relu");
    if (!"relu".equals(act)) {
      throw json.refuse("dense_act_fn \"" + act + "\" is not supported (only relu)");
    }
    if (orElse(json.optionalBoolean("is_gated_act"), false)) {
      throw json.refuse(
          "is_gated_act true is not supported (Switch Transformers' FFN is not gated)");
    }
    if (orElse(json.optionalBoolean("router_bias"), false)) {
      throw json.refuse("router_bias true is not supported");
    }
    String routerDtype = orElse(json.optionalString("router_dtype"), "float32");
    if (!"float32".equals(routerDtype)) {
      throw json.refuse("router_dtype \"" + routerDtype + "\" is not supported (only float32)");
    }
    int heads = orElse(json.optionalInt("num_heads"), 12);
    int dff = orElse(json.optionalInt("d_ff"), 2048);
    int pad = orElse(json.optionalInt("pad_token_id"), 0);
    int start = orElse(json.optionalInt("decoder_start_token_id"), pad);
    b.hiddenSize(orElse(json.optionalInt("d_model"), 768))
        .layers(encoder + decoder)
        .heads(heads)
        .kvHeads(heads)
        .headDim(orElse(json.optionalInt("d_kv"), 64))
        .intermediateSize(dff)
        .denseIntermediateSize(dff)
        .experts(orElse(json.optionalInt("num_experts"), 8))
        .topK(1)
        .vocabSize(orElse(json.optionalInt("vocab_size"), 32128))
        .rmsNormEps(orElse(json.optionalFiniteDouble("layer_norm_epsilon"), 1e-6))
        .maxPositions(MAX_POSITIONS)
        .tieWordEmbeddings(orElse(json.optionalBoolean("tie_word_embeddings"), true))
        .gate(GateKind.SOFTMAX_TOPK)
        .bosTokenId(pad)
        .denseLayers(dense)
        .encoderDecoder(
            new EncoderDecoderConfig(
                encoder,
                decoder,
                orElse(json.optionalInt("relative_attention_num_buckets"), 32),
                orElse(json.optionalInt("relative_attention_max_distance"), 128),
                start,
                orElse(json.optionalInt("expert_capacity"), 64)));
    if (json.has("eos_token_id")) {
      b.eosTokenIds(json.optionalIntOrInts("eos_token_id"));
    } else {
      b.eosTokenIds(1);
    }
  }

  /**
   * A builder for a Switch Transformers configuration made in code (synthetic checkpoints): the
   * layout, and the sparse layers as {@code SwitchTransformersConfig} derives them from the number
   * of sparse layers per stack (step {@code layers / sparse}, layer i sparse iff {@code i % step ==
   * 1}, or every layer at step 1); top-1 routing, {@code layer_norm_epsilon} 1e-6, EOS 1 and pad 0
   * as Hugging Face's defaults. The caller sets the sizes ({@code kvHeads} equal to {@code heads},
   * {@code denseIntermediateSize} equal to {@code intermediateSize}: T5 has one {@code d_ff}) and
   * {@code tieWordEmbeddings}.
   *
   * @throws IllegalArgumentException if a stack has more sparse layers than layers
   */
  public static ModelConfig.Builder builder(
      EncoderDecoderConfig layout, int sparseEncoderLayers, int sparseDecoderLayers) {
    int encoder = layout.encoderLayers();
    int decoder = layout.decoderLayers();
    if (sparseEncoderLayers < 0
        || sparseEncoderLayers > encoder
        || sparseDecoderLayers < 0
        || sparseDecoderLayers > decoder) {
      throw new IllegalArgumentException(
          "sparse layers "
              + sparseEncoderLayers
              + " and "
              + sparseDecoderLayers
              + " do not fit stacks of "
              + encoder
              + " and "
              + decoder);
    }
    int encoderStep = sparseEncoderLayers > 0 ? encoder / sparseEncoderLayers : encoder;
    int decoderStep = sparseDecoderLayers > 0 ? decoder / sparseDecoderLayers : decoder;
    return ModelConfig.builder(Architecture.named(ARCHITECTURE))
        .layers(encoder + decoder)
        .denseLayers(denseLayers(encoder, encoderStep, decoder, decoderStep))
        .topK(1)
        .rmsNormEps(1e-6)
        .maxPositions(MAX_POSITIONS)
        .gate(GateKind.SOFTMAX_TOPK)
        .bosTokenId(0)
        .eosTokenIds(1)
        .encoderDecoder(layout);
  }

  private static int[] denseLayers(int encoder, int encoderStep, int decoder, int decoderStep) {
    return IntStream.range(0, encoder + decoder)
        .filter(l -> l < encoder ? !sparse(l, encoderStep) : !sparse(l - encoder, decoderStep))
        .toArray();
  }

  /** Hugging Face's layer rule: sparse iff {@code i % step == 1}, or every layer at step 1. */
  static boolean sparse(int i, int step) {
    return step == 1 || i % step == 1;
  }

  /**
   * The sparse step of a stack, as {@code SwitchTransformersConfig} derives it from the number of
   * sparse layers; a stored step that disagrees is refused rather than guessed between.
   */
  private static int step(ConfigFields json, String countField, String stepField, int layers)
      throws ModelConfigException {
    int count = orElse(json.optionalInt(countField), 3);
    if (count < 0) {
      throw json.refuse(countField + " must not be negative, was " + count);
    }
    int step = count > 0 ? layers / count : layers;
    if (step < 1) {
      throw json.refuse(countField + " (" + count + ") exceeds the stack's " + layers + " layers");
    }
    Integer stored = json.optionalInt(stepField);
    if (stored != null && stored != step) {
      throw json.refuse(
          stepField
              + " is "
              + stored
              + " but "
              + countField
              + " "
              + count
              + " over "
              + layers
              + " layers gives "
              + step);
    }
    return step;
  }

  private static <T> T orElse(T value, T fallback) {
    return value != null ? value : fallback;
  }

  @Override
  public void writeConfig(ModelConfig c, JsonObject o) {
    EncoderDecoderConfig ed = c.encoderDecoder();
    o.addProperty("d_model", c.hiddenSize());
    o.addProperty("d_kv", c.headDim());
    o.addProperty("d_ff", c.intermediateSize());
    o.addProperty("num_layers", ed.encoderLayers());
    o.addProperty("num_decoder_layers", ed.decoderLayers());
    int encoderSparse = sparseCount(c, 0, ed.encoderLayers());
    int decoderSparse = sparseCount(c, ed.encoderLayers(), ed.decoderLayers());
    o.addProperty("num_sparse_encoder_layers", encoderSparse);
    o.addProperty("num_sparse_decoder_layers", decoderSparse);
    o.addProperty("num_heads", c.heads());
    o.addProperty("num_experts", c.experts());
    o.addProperty("expert_capacity", ed.expertCapacity());
    o.addProperty("router_bias", false);
    o.addProperty("router_dtype", "float32");
    o.addProperty("router_jitter_noise", 0.0);
    o.addProperty("relative_attention_num_buckets", ed.relativeBuckets());
    o.addProperty("relative_attention_max_distance", ed.relativeMaxDistance());
    o.addProperty("layer_norm_epsilon", c.rmsNormEps());
    o.addProperty("dense_act_fn", "relu");
    o.addProperty("is_encoder_decoder", true);
    o.addProperty("vocab_size", c.vocabSize());
    o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
    o.addProperty("pad_token_id", c.bosTokenId());
    o.addProperty("decoder_start_token_id", ed.decoderStartTokenId());
    int[] eos = c.eosTokenIds();
    o.addProperty("eos_token_id", eos.length > 0 ? eos[0] : 1);
    o.addProperty("use_cache", true);
  }

  private static int sparseCount(ModelConfig c, int first, int count) {
    int n = 0;
    for (int l = first; l < first + count; l++) {
      n += c.isMoeLayer(l) ? 1 : 0;
    }
    return n;
  }

  @Override
  public WeightManifest manifest(ModelConfig config) {
    return new T5Manifest(config);
  }
}
