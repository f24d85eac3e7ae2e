package dev.ringmoe.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.Yarn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The hyper-parameters of an MoE decoder, read from a Hugging Face {@code config.json} or built for
 * a synthetic checkpoint. Every field the model uses is here, validated on construction; the
 * architecture-specific parts (tensor names, gate kind) come from {@link Architecture}.
 *
 * <h2>Reading {@code config.json}</h2>
 *
 * {@link #load(Path)} reads the file as UTF-8 strict JSON: no comments, single quotes or trailing
 * commas, no duplicate keys (at any level), no raw control characters in strings. {@code NaN} and
 * {@code Infinity}, which Python's {@code json} writes, are read as numbers and refused in the
 * fields below. Each field it uses has one JSON type, never coerced:
 *
 * <ul>
 *   <li>integers ({@code hidden_size}, {@code num_hidden_layers}, {@code num_attention_heads},
 *       {@code num_key_value_heads}, {@code head_dim}, {@code intermediate_size}, {@code
 *       num_local_experts}, {@code num_experts_per_tok}, {@code vocab_size}, {@code
 *       max_position_embeddings}, {@code sliding_window}, {@code bos_token_id}) are JSON integers
 *       without fraction or exponent, within Java's int range: {@code 8.0}, {@code 8e0}, {@code
 *       "8"} and {@code [8]} are refused;
 *   <li>{@code eos_token_id} is an integer or a list of integers; every bos/eos id lies in {@code
 *       [0, vocab_size)};
 *   <li>{@code rms_norm_eps} and {@code rope_theta} are finite numbers (integers allowed), eps in
 *       [{@link Float#MIN_NORMAL}, 1) and theta in [1, {@link Float#MAX_VALUE}], the ranges in
 *       which the float32 computations using them stay finite;
 *   <li>{@code tie_word_embeddings} and {@code norm_topk_prob} are {@code true} or {@code false}
 *       (not 0/1); {@code hidden_act} is a string ({@code "silu"}); {@code architectures} a
 *       non-empty list of strings, the first of which picks the architecture;
 *   <li>{@code rope_scaling}, if set, is an object of {@code rope_type} (or {@code type}) {@code
 *       "default"} or {@code "yarn"} (read into {@link YarnScaling}: {@code factor} required,
 *       {@code original_max_position_embeddings} an integer, {@code attention_factor}, {@code
 *       mscale}, {@code mscale_all_dim}, {@code beta_fast}, {@code beta_slow} numbers, {@code
 *       truncate} a boolean); any other scaling is refused rather than ignored.
 * </ul>
 *
 * {@code hidden_size}, {@code num_hidden_layers}, {@code num_attention_heads}, {@code
 * intermediate_size}, {@code num_local_experts}, {@code num_experts_per_tok}, {@code vocab_size}
 * and {@code architectures} are required. For the other fields, JSON {@code null} means the same as
 * leaving the field out (as {@code None} does in Hugging Face's {@code PretrainedConfig}), so the
 * default applies: {@code rms_norm_eps} 1e-5, {@code rope_theta} 1e6, {@code
 * max_position_embeddings} 4096, {@code num_key_value_heads} = {@code num_attention_heads}, {@code
 * head_dim} = {@code hidden_size / num_attention_heads}, {@code sliding_window} none, {@code
 * tie_word_embeddings} false, {@code bos_token_id} 1, the architecture's gate. The one exception is
 * {@code eos_token_id}: left out it defaults to 2, but {@code null} (or {@code []}) means no EOS
 * id, as Hugging Face's generation reads it. Fields this class does not use are ignored whatever
 * they hold. Every refusal is a {@link ModelConfigException} whose message starts with the file's
 * path and names the field and the value.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelConfig {
  /** The file name Hugging Face uses for a model's configuration. */
  public static final String FILE_NAME = "config.json";

  /**
   * Largest {@code config.json} read: real ones are a few KiB, so a larger file is refused unread.
   */
  static final long MAX_FILE_BYTES = 16L << 20;

  /**
   * Defaults for fields {@code config.json} may leave out (or set to null): Mixtral's, except as
   * noted.
   */
  static final double DEFAULT_RMS_NORM_EPS = 1e-5;

  static final double DEFAULT_ROPE_THETA = 1e6;
  static final int DEFAULT_MAX_POSITIONS = 4096;

  /**
   * More layers than any published model has (the largest have a few hundred); a count above it is
   * a broken file, and per-layer tables are sized by it.
   */
  public static final int MAX_LAYERS = 1 << 16;

  private final Architecture architecture;
  private final int hiddenSize;
  private final int layers;
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final int intermediateSize;
  private final int experts;
  private final int topK;
  private final int vocabSize;
  private final double rmsNormEps;
  private final double ropeTheta;
  private final int maxPositions;
  private final int slidingWindow;
  private final boolean tieWordEmbeddings;
  private final GateKind gate;
  private final int bosTokenId;
  private final int[] eosTokenIds;
  private final int denseIntermediateSize;
  private final int sharedExpertIntermediateSize;
  private final boolean sharedExpertGate;

  /** Per layer, its position among the layers that route, or -1 for a dense layer. */
  private final int[] routingIndex;

  /** The layers that route, ascending. */
  private final int[] moeLayerIds;

  private final boolean attentionBias;
  private final QkNorm qkNorm;
  private final YarnScaling yarn;
  private final MlaConfig mla;
  private final GroupRouting groupRouting;
  private final BlockFp8 fp8;

  /** Layers of full attention in a model whose other layers use the sliding window. */
  private final boolean[] fullAttention;

  private final boolean outputBias;
  private final boolean attentionSinks;
  private final boolean routerBias;
  private final boolean expertBias;
  private final ExpertActivation expertActivation;
  private final double swigluLimit;
  private final ExpertFormat expertFormat;
  private final EncoderDecoderConfig encoderDecoder;
  private volatile WeightManifest manifest;

  private ModelConfig(Builder b) {
    this.architecture = Objects.requireNonNull(b.architecture, "architecture");
    this.hiddenSize = b.hiddenSize;
    this.layers = b.layers;
    this.heads = b.heads;
    // Multi-head latent attention has no KV heads of its own and rotates only its rope part:
    // as in Hugging Face, head_dim is qk_rope_head_dim and every query head has its own keys.
    this.kvHeads = b.mla != null ? b.heads : b.kvHeads;
    // 0 means derived; a negative head_dim is kept so that validate() refuses it rather than
    // replacing it.
    this.headDim =
        b.mla != null
            ? b.mla.qkRopeHeadDim()
            : b.headDim != 0 ? b.headDim : (b.heads > 0 ? b.hiddenSize / b.heads : 0);
    this.intermediateSize = b.intermediateSize;
    this.experts = b.experts;
    this.topK = b.topK;
    this.vocabSize = b.vocabSize;
    this.rmsNormEps = b.rmsNormEps;
    this.ropeTheta = b.ropeTheta;
    this.maxPositions = b.maxPositions;
    this.slidingWindow = b.slidingWindow;
    this.tieWordEmbeddings = b.tieWordEmbeddings;
    this.gate = b.gate != null ? b.gate : architecture.defaultGate();
    this.bosTokenId = b.bosTokenId;
    this.eosTokenIds = b.eosTokenIds.clone();
    this.denseIntermediateSize =
        b.denseIntermediateSize > 0 ? b.denseIntermediateSize : b.intermediateSize;
    this.sharedExpertIntermediateSize = b.sharedExpertIntermediateSize;
    this.sharedExpertGate = b.sharedExpertGate;
    // sized before validate() has checked the count, so bounded here
    this.routingIndex = new int[Math.max(0, Math.min(b.layers, MAX_LAYERS))];
    for (int l : b.denseLayers) {
      if (l >= 0 && l < routingIndex.length) {
        routingIndex[l] = -1;
      }
    }
    int routing = 0;
    for (int l = 0; l < routingIndex.length; l++) {
      routingIndex[l] = routingIndex[l] < 0 ? -1 : routing++;
    }
    this.moeLayerIds =
        java.util.stream.IntStream.range(0, routingIndex.length)
            .filter(l -> routingIndex[l] >= 0)
            .toArray();
    this.attentionBias = b.attentionBias;
    this.qkNorm = b.qkNorm;
    this.yarn = b.yarn;
    this.mla = b.mla;
    this.groupRouting = b.groupRouting;
    this.fp8 = b.fp8;
    this.fullAttention = new boolean[routingIndex.length];
    for (int l : b.fullAttentionLayers) {
      if (l >= 0 && l < fullAttention.length) {
        fullAttention[l] = true;
      }
    }
    this.outputBias = b.outputBias;
    this.attentionSinks = b.attentionSinks;
    this.routerBias = b.routerBias;
    this.expertBias = b.expertBias;
    this.expertActivation = b.expertActivation;
    this.swigluLimit = b.swigluLimit;
    this.expertFormat = b.expertFormat;
    this.encoderDecoder = b.encoderDecoder;
  }

  /** Checks the invariants; {@code where} names the source for the message. */
  private void validate(Path where) throws ModelConfigException {
    check(where, hiddenSize > 0, "hidden_size must be positive, was " + hiddenSize);
    check(
        where,
        layers > 0 && layers <= MAX_LAYERS,
        "num_hidden_layers must be between 1 and " + MAX_LAYERS + ", was " + layers);
    check(where, heads > 0, "num_attention_heads must be positive, was " + heads);
    check(
        where,
        kvHeads > 0 && heads % kvHeads == 0,
        "num_key_value_heads ("
            + kvHeads
            + ") must be positive and divide num_attention_heads ("
            + heads
            + ")");
    // rotary embedding pairs dimensions; an encoder-decoder's relative position bias does not
    check(
        where,
        headDim > 0 && (headDim % 2 == 0 || encoderDecoder != null),
        "head_dim must be positive and even, was " + headDim);
    // The query and key/value projections have heads * head_dim rows, which the decoder indexes
    // with ints.
    check(
        where,
        (long) heads * headDim <= Integer.MAX_VALUE,
        "num_attention_heads * head_dim ("
            + heads
            + " * "
            + headDim
            + ") exceeds "
            + Integer.MAX_VALUE);
    check(
        where, intermediateSize > 0, "intermediate_size must be positive, was " + intermediateSize);
    check(where, experts > 0, "num_local_experts must be positive, was " + experts);
    check(
        where,
        topK > 0 && topK <= experts,
        "num_experts_per_tok ("
            + topK
            + ") must be between 1 and num_local_experts ("
            + experts
            + ")");
    check(where, vocabSize > 0, "vocab_size must be positive, was " + vocabSize);
    // The norm adds eps in float32: below float32's smallest normal value it is 0 or denormal, and
    // an all-zero
    // row divides by zero; an eps of 1 or more is no longer a small stabiliser.
    check(
        where,
        (float) rmsNormEps >= Float.MIN_NORMAL && rmsNormEps < 1,
        "rms_norm_eps must be a finite number"
            + " from "
            + Float.MIN_NORMAL
            + " (float32's smallest normal value) up to but excluding 1, was "
            + rmsNormEps);
    // RoPE frequencies are theta^(-2i/d) in float32: above float32's range theta^(...) is infinite
    // and every
    // frequency 0; below 1 the frequencies grow instead of decay and overflow for small theta.
    check(
        where,
        ropeTheta >= 1 && Float.isFinite((float) ropeTheta),
        "rope_theta must be a finite number from 1 to "
            + Float.MAX_VALUE
            + " (float32's largest value), was "
            + ropeTheta);
    check(where, maxPositions > 0, "max_position_embeddings must be positive, was " + maxPositions);
    check(
        where, slidingWindow >= 0, "sliding_window must be positive or null, was " + slidingWindow);
    check(
        where,
        denseIntermediateSize > 0,
        "intermediate_size must be positive, was " + denseIntermediateSize);
    check(
        where,
        sharedExpertIntermediateSize >= 0,
        "shared_expert_intermediate_size must not be negative, was "
            + sharedExpertIntermediateSize);
    check(
        where,
        bosTokenId >= 0 && bosTokenId < vocabSize,
        "bos_token_id "
            + bosTokenId
            + " is outside the vocabulary [0, "
            + vocabSize
            + ") (vocab_size "
            + vocabSize
            + ")");
    for (int eos : eosTokenIds) {
      check(
          where,
          eos >= 0 && eos < vocabSize,
          "eos_token_id "
              + eos
              + " is outside the vocabulary [0, "
              + vocabSize
              + ") (vocab_size "
              + vocabSize
              + ")");
    }
    if (mla != null) {
      long widest = (long) heads * Math.max(mla.qkHeadDim(), mla.qkNopeHeadDim() + mla.vHeadDim());
      check(
          where,
          widest <= Integer.MAX_VALUE / 4,
          "num_attention_heads * the MLA head width ("
              + heads
              + " * "
              + Math.max(mla.qkHeadDim(), mla.qkNopeHeadDim() + mla.vHeadDim())
              + ") is too large");
    }
    boolean grouped =
        gate == GateKind.SOFTMAX_GROUP_LIMITED || gate == GateKind.SIGMOID_GROUP_LIMITED;
    check(
        where,
        grouped == (groupRouting != null),
        "the gate " + gate + (grouped ? " needs" : " takes no") + " group routing parameters");
    if (grouped) {
      check(
          where,
          experts % groupRouting.groups() == 0,
          "n_group ("
              + groupRouting.groups()
              + ") must divide the number of routed experts ("
              + experts
              + ")");
      int perGroup = experts / groupRouting.groups();
      // Hugging Face's V3 gate ranks a group by the sum of its two best scores (topk(2))
      check(
          where,
          gate != GateKind.SIGMOID_GROUP_LIMITED || perGroup >= 2,
          "n_group ("
              + groupRouting.groups()
              + ") leaves "
              + perGroup
              + " expert(s) per group; the sigmoid gate ranks groups by their two best experts");
      check(
          where,
          topK <= groupRouting.topkGroup() * perGroup,
          "num_experts_per_tok ("
              + topK
              + ") exceeds the experts of the topk_group ("
              + groupRouting.topkGroup()
              + ") groups kept");
    }
    check(
        where,
        expertActivation != ExpertActivation.CLAMPED_SWIGLU
            || (swigluLimit > 0 && Double.isFinite(swigluLimit)),
        "swiglu_limit must be a finite positive number, was " + swigluLimit);
    check(
        where,
        expertFormat != ExpertFormat.MXFP4 || intermediateSize % 32 == 0 && hiddenSize % 32 == 0,
        "MXFP4 experts need hidden_size ("
            + hiddenSize
            + ") and intermediate_size ("
            + intermediateSize
            + ") to be multiples of its block of 32");
    if (yarn != null) {
      try {
        Yarn.compute(headDim, ropeTheta, maxPositions, yarn);
      } catch (IllegalArgumentException e) {
        throw new ModelConfigException(where, e.getMessage());
      }
    }
    if (encoderDecoder != null) {
      encoderDecoder.validate(where, layers, vocabSize);
      // T5 has one d_ff, no grouped keys and top-1 routing: anything else is not this model
      check(
          where,
          kvHeads == heads && topK == 1 && denseIntermediateSize == intermediateSize,
          "an encoder-decoder needs num_key_value_heads = num_heads, top-1 routing and one d_ff"
              + " (experts and dense layers alike)");
    }
    try {
      exactFloat32WeightBytes();
    } catch (ArithmeticException e) {
      throw new ModelConfigException(
          where,
          "describes a model of more than "
              + Long.MAX_VALUE
              + " bytes of float32 weights (hidden_size "
              + hiddenSize
              + ", intermediate_size "
              + intermediateSize
              + ", num_local_experts "
              + experts
              + ", num_hidden_layers "
              + layers
              + ", vocab_size "
              + vocabSize
              + ")");
    }
  }

  /** {@link #float32WeightBytes()} with overflow checks. */
  private long exactFloat32WeightBytes() {
    long q = Math.multiplyExact((long) heads, headDim);
    long kv = Math.multiplyExact((long) kvHeads, headDim);
    long dense =
        Math.addExact(
            Math.multiplyExact((long) hiddenSize, Math.addExact(2 * q, 2 * kv)),
            Math.addExact(Math.multiplyExact((long) experts, hiddenSize), 2L * hiddenSize));
    long expert = Math.multiplyExact(3L * hiddenSize, intermediateSize);
    long table = Math.multiplyExact((long) vocabSize, hiddenSize);
    long global = Math.addExact(Math.addExact(table, hiddenSize), tieWordEmbeddings ? 0 : table);
    long mlps =
        Math.multiplyExact(
            3L * hiddenSize,
            Math.addExact((long) denseIntermediateSize, sharedExpertIntermediateSize));
    long layer =
        Math.addExact(Math.addExact(dense, mlps), Math.multiplyExact((long) experts, expert));
    return Math.multiplyExact(4L, Math.addExact(global, Math.multiplyExact((long) layers, layer)));
  }

  private static void check(Path where, boolean ok, String problem) throws ModelConfigException {
    if (!ok) {
      throw new ModelConfigException(where, problem);
    }
  }

  /**
   * Reads {@code config.json} from a checkpoint directory.
   *
   * <p>The file must be UTF-8 strict JSON (see the class comment) holding an object, and every
   * field this class uses must have its JSON type and a value in range; unknown fields are ignored.
   *
   * @throws ModelConfigException if the file is missing, unreadable, not strict JSON, lacks a
   *     required field, holds a field of the wrong type or out of range, or is inconsistent; the
   *     message names the file, the field and the value
   * @throws UnsupportedArchitectureException if it names an architecture this version cannot run
   */
  public static ModelConfig load(Path checkpointDir) throws IOException {
    Path file = checkpointDir.resolve(FILE_NAME);
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new ModelConfigException(
            file,
            "is "
                + size
                + " bytes, more than a configuration can be ("
                + MAX_FILE_BYTES
                + " at most)");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ModelConfigException(file, "missing: a checkpoint directory needs a config.json");
    } catch (ModelConfigException e) {
      throw e;
    } catch (IOException e) {
      throw new ModelConfigException(file, "cannot be read: " + e, e);
    }
    Object root;
    try {
      root = StrictJson.parse(decodeUtf8(bytes, file));
    } catch (StrictJson.SyntaxException e) {
      throw new ModelConfigException(file, "not valid JSON: " + e.getMessage(), e);
    }
    if (!(root instanceof Map)) {
      throw new ModelConfigException(file, "not a JSON object, but " + StrictJson.render(root, 40));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) root;
    return parse(json, file);
  }

  /** The file as text; malformed UTF-8 is refused with its byte offset rather than replaced. */
  private static String decodeUtf8(byte[] bytes, Path file) throws ModelConfigException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw new ModelConfigException(
          file, "not valid UTF-8: malformed byte sequence at byte offset " + in.position());
    }
    return out.flip().toString();
  }

  static ModelConfig parse(Map<String, Object> json, Path file) throws ModelConfigException {
    ConfigFields f = new ConfigFields(json, file);
    List<String> archs = f.requiredStrings("architectures", "cannot tell which model this is");
    Architecture arch = Architecture.forName(archs.get(0), file);
    if (!arch.family().readsSharedFields()) {
      // an encoder-decoder names its sizes its own way (d_model, num_heads, ...)
      Builder own = builder(arch);
      arch.family().readConfig(f, own);
      ModelConfig config = new ModelConfig(own);
      config.validate(file);
      return config;
    }
    int heads = f.requiredInt("num_attention_heads");
    int layers = f.requiredInt("num_hidden_layers");
    check(
        file,
        layers > 0 && layers <= MAX_LAYERS,
        "num_hidden_layers must be between 1 and " + MAX_LAYERS + ", was " + layers);
    Builder b =
        builder(arch)
            .hiddenSize(f.requiredInt("hidden_size"))
            .layers(layers)
            .heads(heads)
            // Hugging Face: num_key_value_heads None means one KV head per query head (no
            // grouping).
            .kvHeads(orElse(f.optionalInt("num_key_value_heads"), heads))
            .topK(f.requiredInt("num_experts_per_tok"))
            .vocabSize(f.requiredInt("vocab_size"))
            .rmsNormEps(orElse(f.optionalFiniteDouble("rms_norm_eps"), DEFAULT_RMS_NORM_EPS))
            .ropeTheta(orElse(f.optionalFiniteDouble("rope_theta"), DEFAULT_ROPE_THETA))
            .maxPositions(orElse(f.optionalInt("max_position_embeddings"), DEFAULT_MAX_POSITIONS))
            .tieWordEmbeddings(orElse(f.optionalBoolean("tie_word_embeddings"), false));
    Integer headDim = f.optionalInt("head_dim");
    if (headDim != null) {
      // 0 means "hidden_size / num_attention_heads", as Hugging Face's `head_dim or hidden //
      // heads` reads it.
      b.headDim(headDim);
    }
    Integer window = f.optionalInt("sliding_window");
    if (window != null) {
      if (window <= 0) {
        throw new ModelConfigException(
            file,
            "field 'sliding_window' must be a positive number of tokens, or null"
                + " for full attention, was "
                + window);
      }
      b.slidingWindow(window);
    }
    Boolean renormalise = f.optionalBoolean("norm_topk_prob");
    if (renormalise != null) {
      b.gate(renormalise ? GateKind.SOFTMAX_TOPK_RENORMALISED : GateKind.SOFTMAX_TOPK);
    }
    String act = f.optionalString("hidden_act");
    if (act != null && !"silu".equals(act)) {
      throw new ModelConfigException(
          file, "hidden_act " + StrictJson.quote(act) + " is not supported (only silu)");
    }
    Map<String, Object> ropeScaling = f.optionalObject("rope_scaling");
    if (ropeScaling != null) {
      ConfigFields rs = new ConfigFields(ropeScaling, file, "rope_scaling.");
      String type =
          rs.has("rope_type") ? rs.optionalString("rope_type") : rs.optionalString("type");
      if ("yarn".equals(type)) {
        b.yarn(yarn(rs, file));
      } else if (!"default".equals(type)) {
        // Hugging Face applies the scaling to the rotary frequencies; running without it gives
        // wrong logits.
        throw new ModelConfigException(
            file,
            "rope_scaling "
                + StrictJson.render(ropeScaling, 80)
                + " is not supported: RingMoE computes unscaled RoPE from rope_theta (null or rope_type \"default\") or YaRN (rope_type \"yarn\")");
      }
    }
    Map<String, Object> quantization = f.optionalObject("quantization_config");
    if (quantization != null && !arch.family().readsQuantizationConfig()) {
      b.fp8(blockFp8(new ConfigFields(quantization, file, "quantization_config."), arch, file));
    }
    Integer bos = f.optionalInt("bos_token_id");
    if (bos != null) {
      b.bosTokenId(bos);
    }
    if (json.containsKey("eos_token_id")) {
      // Unlike the other optional fields, null here is not "the default (2)" but "no EOS id", as
      // Hugging Face's
      // generation reads eos_token_id None: generation then stops only on the tokenizer's EOS ids,
      // if any.
      int[] eos = f.optionalIntOrInts("eos_token_id");
      b.eosTokenIds(eos == null ? new int[0] : eos);
    }
    arch.family().readConfig(f, b);
    ModelConfig config = new ModelConfig(b);
    config.validate(file);
    return config;
  }

  /** The fields of a {@code rope_type "yarn"} object. */
  private static YarnScaling yarn(ConfigFields rs, Path file) throws ModelConfigException {
    Double factor = rs.optionalFiniteDouble("factor");
    if (factor == null) {
      throw new ModelConfigException(file, "missing required field 'rope_scaling.factor' (yarn)");
    }
    try {
      return new YarnScaling(
          factor,
          rs.optionalInt("original_max_position_embeddings"),
          rs.optionalFiniteDouble("attention_factor"),
          rs.optionalFiniteDouble("mscale"),
          rs.optionalFiniteDouble("mscale_all_dim"),
          rs.optionalFiniteDouble("beta_fast"),
          rs.optionalFiniteDouble("beta_slow"),
          rs.optionalBoolean("truncate"));
    } catch (IllegalArgumentException e) {
      throw new ModelConfigException(file, e.getMessage());
    }
  }

  /**
   * DeepSeek-V3's block-wise FP8: {@code quant_method "fp8"}, {@code fmt "e4m3"} (or absent),
   * {@code activation_scheme "dynamic"} (or absent), {@code weight_block_size} two positive
   * integers.
   */
  private static BlockFp8 blockFp8(ConfigFields q, Architecture arch, Path file)
      throws ModelConfigException {
    String method = q.optionalString("quant_method");
    if (!"fp8".equals(method)) {
      throw new ModelConfigException(
          file,
          "quantization_config.quant_method "
              + (method == null ? "null" : StrictJson.quote(method))
              + " is not supported (only \"fp8\", block-wise FP8 weights)");
    }
    if (!arch.family().acceptsBlockFp8()) {
      throw new ModelConfigException(
          file, "FP8 weights (quantization_config) are not supported for " + arch.name());
    }
    String fmt = q.optionalString("fmt");
    if (fmt != null && !fmt.equals("e4m3")) {
      throw new ModelConfigException(
          file,
          "quantization_config.fmt " + StrictJson.quote(fmt) + " is not supported (only e4m3)");
    }
    String activations = q.optionalString("activation_scheme");
    if (activations != null && !activations.equals("dynamic")) {
      throw new ModelConfigException(
          file,
          "quantization_config.activation_scheme "
              + StrictJson.quote(activations)
              + " is not supported (only dynamic: activations stay float32)");
    }
    if (q.has("modules_to_not_convert")) {
      throw new ModelConfigException(
          file, "quantization_config.modules_to_not_convert is not supported");
    }
    int[] block = q.optionalInts("weight_block_size");
    if (block == null || block.length != 2) {
      throw new ModelConfigException(
          file, "quantization_config.weight_block_size must be a list of two integers");
    }
    try {
      return new BlockFp8(block[0], block[1]);
    } catch (IllegalArgumentException e) {
      throw new ModelConfigException(file, e.getMessage());
    }
  }

  private static <T> T orElse(T value, T fallback) {
    return value != null ? value : fallback;
  }

  /**
   * This configuration as Hugging Face writes it to {@code config.json}, so that a synthetic
   * checkpoint loads in any tool that reads the format.
   *
   * @param torchDtype the {@code torch_dtype} to record, for example {@code "bfloat16"}
   */
  public String toJson(String torchDtype) {
    JsonObject o = new JsonObject();
    JsonArray archs = new JsonArray();
    archs.add(architecture.name());
    o.add("architectures", archs);
    o.addProperty("model_type", architecture.modelType());
    if (!architecture.family().readsSharedFields()) {
      o.addProperty("torch_dtype", torchDtype);
      architecture.family().writeConfig(this, o);
      return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }
    o.addProperty("attention_dropout", 0.0);
    o.addProperty("bos_token_id", bosTokenId);
    if (eosTokenIds.length == 1) {
      o.addProperty("eos_token_id", eosTokenIds[0]);
    } else {
      JsonArray eos = new JsonArray();
      Arrays.stream(eosTokenIds).forEach(eos::add);
      o.add("eos_token_id", eos);
    }
    o.addProperty("hidden_act", "silu");
    o.addProperty("hidden_size", hiddenSize);
    if (headDim != hiddenSize / heads) {
      o.addProperty("head_dim", headDim);
    }
    o.addProperty("intermediate_size", intermediateSize);
    o.addProperty("max_position_embeddings", maxPositions);
    o.addProperty("num_attention_heads", heads);
    o.addProperty("num_experts_per_tok", topK);
    o.addProperty("num_hidden_layers", layers);
    o.addProperty("num_key_value_heads", kvHeads);
    if (gate != architecture.defaultGate()) {
      o.addProperty("norm_topk_prob", gate == GateKind.SOFTMAX_TOPK_RENORMALISED);
    }
    o.addProperty("rms_norm_eps", rmsNormEps);
    o.addProperty("rope_theta", ropeTheta);
    if (yarn != null) {
      JsonObject rs = new JsonObject();
      rs.addProperty("factor", yarn.factor());
      rs.addProperty("rope_type", "yarn");
      rs.addProperty("type", "yarn");
      addIfSet(rs, "original_max_position_embeddings", yarn.originalMaxPositionEmbeddings());
      addIfSet(rs, "attention_factor", yarn.attentionFactor());
      addIfSet(rs, "mscale", yarn.mscale());
      addIfSet(rs, "mscale_all_dim", yarn.mscaleAllDim());
      addIfSet(rs, "beta_fast", yarn.betaFast());
      addIfSet(rs, "beta_slow", yarn.betaSlow());
      if (yarn.truncate() != null) {
        rs.addProperty("truncate", yarn.truncate());
      }
      o.add("rope_scaling", rs);
    }
    if (slidingWindow > 0) {
      o.addProperty("sliding_window", slidingWindow);
    } else {
      o.add("sliding_window", com.google.gson.JsonNull.INSTANCE);
    }
    o.addProperty("tie_word_embeddings", tieWordEmbeddings);
    o.addProperty("torch_dtype", torchDtype);
    o.addProperty("use_cache", true);
    o.addProperty("vocab_size", vocabSize);
    architecture.family().writeConfig(this, o);
    Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().create();
    return gson.toJson(o) + "\n";
  }

  private static void addIfSet(JsonObject o, String name, Number value) {
    if (value != null) {
      o.addProperty(name, value);
    }
  }

  public Architecture architecture() {
    return architecture;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int layers() {
    return layers;
  }

  /** Query heads. */
  public int heads() {
    return heads;
  }

  /** Key/value heads; {@code heads() / kvHeads()} query heads share each. */
  public int kvHeads() {
    return kvHeads;
  }

  public int headDim() {
    return headDim;
  }

  /** The intermediate width of one expert's SwiGLU. */
  public int intermediateSize() {
    return intermediateSize;
  }

  /** Routed experts per MoE layer. */
  public int experts() {
    return experts;
  }

  /** Experts each token is routed to. */
  public int topK() {
    return topK;
  }

  public int vocabSize() {
    return vocabSize;
  }

  public double rmsNormEps() {
    return rmsNormEps;
  }

  public double ropeTheta() {
    return ropeTheta;
  }

  /** The longest sequence (prompt plus generated tokens) the model supports. */
  public int maxPositions() {
    return maxPositions;
  }

  /** Attention window in tokens, or 0 for full causal attention. */
  public int slidingWindow() {
    return slidingWindow;
  }

  public boolean tieWordEmbeddings() {
    return tieWordEmbeddings;
  }

  public GateKind gate() {
    return gate;
  }

  public int bosTokenId() {
    return bosTokenId;
  }

  public int[] eosTokenIds() {
    return eosTokenIds.clone();
  }

  /**
   * Dense MLP width of a layer without experts ({@code intermediate_size} where experts have their
   * own).
   */
  public int denseIntermediateSize() {
    return denseIntermediateSize;
  }

  /** The shared expert's intermediate width; 0 when the MoE layers have no shared expert. */
  public int sharedExpertIntermediateSize() {
    return sharedExpertIntermediateSize;
  }

  /**
   * Whether the shared expert's output is scaled by a sigmoid gate (Qwen2-MoE's {@code
   * shared_expert_gate}).
   */
  public boolean sharedExpertGate() {
    return sharedExpertGate;
  }

  /** Whether {@code layer} has a sparse MoE block (otherwise a dense MLP). */
  public boolean isMoeLayer(int layer) {
    return routingIndex[layer] >= 0;
  }

  /**
   * The position of {@code layer} among the {@link #tracedLayers()} (what routing traces and
   * predictors index by), or -1 for a dense layer, a layer the model does not have, or an
   * encoder-decoder's decoder layer.
   */
  public int routingIndex(int layer) {
    if (layer < 0 || layer >= routingIndex.length) {
      return -1;
    }
    return encoderDecoder != null && !encoderDecoder.isEncoderLayer(layer)
        ? -1
        : routingIndex[layer];
  }

  /**
   * The sparse layers routing traces record and SiDA's predictors predict, ascending: every sparse
   * layer ({@link #moeLayers()}), except that an encoder-decoder's are its encoder's, as in SiDA
   * (the hash network sees the input ids, which only the encoder runs over whole; the decoder's
   * layers are routed by their routers).
   */
  public int[] tracedLayers() {
    if (encoderDecoder == null) {
      return moeLayerIds.clone();
    }
    return java.util.Arrays.stream(moeLayerIds).filter(encoderDecoder::isEncoderLayer).toArray();
  }

  /** The layers with a sparse MoE block, ascending. */
  public int[] moeLayers() {
    return moeLayerIds.clone();
  }

  /** Whether the q, k and v projections have biases. */
  public boolean attentionBias() {
    return attentionBias;
  }

  public QkNorm qkNorm() {
    return qkNorm;
  }

  /** The YaRN scaling of the rotary embedding, or {@code null} for plain RoPE. */
  public YarnScaling yarn() {
    return yarn;
  }

  /**
   * The multi-head latent attention of every layer (DeepSeek-V2/V3), or {@code null} for
   * grouped-query attention with {@link #heads()}, {@link #kvHeads()} and {@link #headDim()}.
   */
  public MlaConfig mla() {
    return mla;
  }

  /**
   * The block-wise FP8 format of the linear weights ({@code quantization_config}), or {@code null}
   * for unquantized weights.
   */
  public BlockFp8 fp8() {
    return fp8;
  }

  /** The group-limited gate's parameters, or {@code null} for the softmax top-k gates. */
  public GroupRouting groupRouting() {
    return groupRouting;
  }

  /**
   * Bytes the float32 KV cache holds per token over all layers: keys and values ({@code 2 *
   * kv_heads * head_dim} floats per layer), or with multi-head latent attention the compressed kv
   * and the rotary key part ({@code kv_lora_rank + qk_rope_head_dim} floats per layer).
   */
  public long kvCacheBytesPerToken() {
    long perLayer = mla != null ? mla.cachedWidth() : 2L * kvHeads * headDim;
    return 4L * layers * perLayer;
  }

  /**
   * The attention window of {@code layer} in tokens, 0 for full causal attention: {@link
   * #slidingWindow()} unless the layer is one of the full-attention layers of a model that
   * alternates them ({@code layer_types}).
   */
  public int attentionWindow(int layer) {
    return fullAttention[layer] ? 0 : slidingWindow;
  }

  /** Whether the attention output projection has a bias. */
  public boolean outputBias() {
    return outputBias;
  }

  /** Whether every attention layer has sinks (one learned logit per head, gpt-oss). */
  public boolean attentionSinks() {
    return attentionSinks;
  }

  /** Whether the router's linear layer has a bias. */
  public boolean routerBias() {
    return routerBias;
  }

  /** Whether the routed experts' projections have biases. */
  public boolean expertBias() {
    return expertBias;
  }

  /** The routed experts' gated activation. */
  public ExpertActivation expertActivation() {
    return expertActivation;
  }

  /** The clamp of {@link ExpertActivation#CLAMPED_SWIGLU} ({@code swiglu_limit}). */
  public double swigluLimit() {
    return swigluLimit;
  }

  /** How the checkpoint stores the routed experts' matrices. */
  public ExpertFormat expertFormat() {
    return expertFormat;
  }

  /**
   * The encoder-decoder layout (Switch Transformers), or {@code null} for a decoder-only model; an
   * encoder-decoder runs through {@code dev.ringmoe.seq2seq.EncoderDecoderModel}, not {@code
   * MoeModel}.
   */
  public EncoderDecoderConfig encoderDecoder() {
    return encoderDecoder;
  }

  /** Every tensor of the model, as its family lists them. */
  public WeightManifest manifest() {
    WeightManifest m = manifest;
    if (m == null) {
      m = architecture.family().manifest(this);
      manifest = m;
    }
    return m;
  }

  /** Parameters in one routed expert (gate, up and down projections). */
  public long expertParameters() {
    int l = moeLayerIds.length > 0 ? moeLayerIds[0] : -1;
    return l < 0 ? 0 : manifest().expert(l, 0).parameters();
  }

  /**
   * Parameters of the largest layer's dense section (attention, norms, router, shared expert or
   * dense MLP): what a ring slot holding any layer's dense section needs.
   */
  public long denseLayerParameters() {
    long max = 0;
    for (int l = 0; l < layers; l++) {
      max = Math.max(max, manifest().dense(l).parameters());
    }
    return max;
  }

  /** Parameters outside the layers: embedding, final norm and (unless tied) the LM head. */
  public long globalParameters() {
    return manifest().globals().parameters();
  }

  /** Bytes of every weight in float32. */
  public long float32WeightBytes() {
    return 4L * manifest().parameters();
  }

  /**
   * Bytes of every weight at {@code elementBytes} per parameter: 2 for a model held in bfloat16, 4
   * in float32 (budgets given as fractions are fractions of this).
   */
  public long weightBytes(int elementBytes) {
    return (long) elementBytes * manifest().parameters();
  }

  @Override
  public String toString() {
    return architecture.name()
        + "{hidden="
        + hiddenSize
        + ", layers="
        + layers
        + ", heads="
        + heads
        + "/"
        + kvHeads
        + ", headDim="
        + headDim
        + ", experts="
        + experts
        + " top-"
        + topK
        + ", intermediate="
        + intermediateSize
        + ", vocab="
        + vocabSize
        + "}";
  }

  /** A builder for configurations made in code, for example for synthetic checkpoints. */
  public static Builder builder(Architecture architecture) {
    return new Builder(architecture);
  }

  /**
   * Mutable builder; not thread-safe. Defaults follow Mixtral-8x7B's conventions where one applies.
   */
  public static final class Builder {
    private final Architecture architecture;
    private int hiddenSize = 256;
    // defaults follow Mixtral-8x7B's conventions; families set their own fields
    private int layers = 4;
    private int heads = 8;
    private int kvHeads = 4;
    private int headDim = 0;
    private int intermediateSize = 512;
    private int experts = 8;
    private int topK = 2;
    private int vocabSize = 1000;
    private double rmsNormEps = 1e-5;
    private double ropeTheta = 1e6;
    private int maxPositions = 2048;
    private int slidingWindow = 0;
    private boolean tieWordEmbeddings = false;
    private GateKind gate;
    private int bosTokenId = 1;
    private int[] eosTokenIds = {2};
    private int denseIntermediateSize = 0;
    private int sharedExpertIntermediateSize = 0;
    private boolean sharedExpertGate = false;
    private int[] denseLayers = {};
    private boolean attentionBias = false;
    private QkNorm qkNorm = QkNorm.NONE;
    private YarnScaling yarn;
    private MlaConfig mla;
    private GroupRouting groupRouting;
    private BlockFp8 fp8;
    private int[] fullAttentionLayers = {};
    private boolean outputBias;
    private boolean attentionSinks;
    private boolean routerBias;
    private boolean expertBias;
    private ExpertActivation expertActivation = ExpertActivation.SWIGLU;
    private double swigluLimit;
    private ExpertFormat expertFormat = ExpertFormat.DENSE;
    private EncoderDecoderConfig encoderDecoder;

    private Builder(Architecture architecture) {
      this.architecture = architecture;
      architecture.family().configure(this);
    }

    public Builder hiddenSize(int v) {
      hiddenSize = v;
      return this;
    }

    public Builder layers(int v) {
      layers = v;
      return this;
    }

    public Builder heads(int v) {
      heads = v;
      return this;
    }

    public Builder kvHeads(int v) {
      kvHeads = v;
      return this;
    }

    /** Per-head width; 0 (the default) means {@code hiddenSize / heads}. */
    public Builder headDim(int v) {
      headDim = v;
      return this;
    }

    public Builder intermediateSize(int v) {
      intermediateSize = v;
      return this;
    }

    public Builder experts(int v) {
      experts = v;
      return this;
    }

    public Builder topK(int v) {
      topK = v;
      return this;
    }

    public Builder vocabSize(int v) {
      vocabSize = v;
      return this;
    }

    public Builder rmsNormEps(double v) {
      rmsNormEps = v;
      return this;
    }

    public Builder ropeTheta(double v) {
      ropeTheta = v;
      return this;
    }

    public Builder maxPositions(int v) {
      maxPositions = v;
      return this;
    }

    /** Attention window in tokens; 0 for none. */
    public Builder slidingWindow(int v) {
      slidingWindow = v;
      return this;
    }

    public Builder tieWordEmbeddings(boolean v) {
      tieWordEmbeddings = v;
      return this;
    }

    public Builder gate(GateKind v) {
      gate = v;
      return this;
    }

    public Builder bosTokenId(int v) {
      bosTokenId = v;
      return this;
    }

    public Builder eosTokenIds(int... v) {
      eosTokenIds = v.clone();
      return this;
    }

    /**
     * The dense MLP width of layers without experts; 0 (the default) means {@code
     * intermediateSize}.
     */
    public Builder denseIntermediateSize(int v) {
      denseIntermediateSize = v;
      return this;
    }

    /** A shared expert of this width in every MoE layer; 0 (the default) for none. */
    public Builder sharedExpertIntermediateSize(int v) {
      sharedExpertIntermediateSize = v;
      return this;
    }

    /** Whether the shared expert's output is scaled by a sigmoid gate. */
    public Builder sharedExpertGate(boolean v) {
      sharedExpertGate = v;
      return this;
    }

    /** Layers with a dense MLP instead of a sparse block. */
    public Builder denseLayers(int... v) {
      denseLayers = v.clone();
      return this;
    }

    public Builder attentionBias(boolean v) {
      attentionBias = v;
      return this;
    }

    public Builder qkNorm(QkNorm v) {
      qkNorm = Objects.requireNonNull(v);
      return this;
    }

    /** YaRN scaling of the rotary embedding; {@code null} (the default) for plain RoPE. */
    public Builder yarn(YarnScaling v) {
      yarn = v;
      return this;
    }

    /**
     * Multi-head latent attention in every layer; {@code null} (the default) for GQA. With MLA the
     * head dimension is {@code qk_rope_head_dim} and the KV heads equal the heads, whatever {@link
     * #headDim} and {@link #kvHeads} say.
     */
    public Builder mla(MlaConfig v) {
      mla = v;
      return this;
    }

    /** Block-wise FP8 linear weights; {@code null} (the default) for unquantized ones. */
    public Builder fp8(BlockFp8 v) {
      fp8 = v;
      return this;
    }

    /** The parameters of a group-limited gate; {@code null} (the default) for none. */
    public Builder groupRouting(GroupRouting v) {
      groupRouting = v;
      return this;
    }

    /** Layers of full attention when the others use {@link #slidingWindow}; none by default. */
    public Builder fullAttentionLayers(int... v) {
      fullAttentionLayers = v.clone();
      return this;
    }

    public Builder outputBias(boolean v) {
      outputBias = v;
      return this;
    }

    public Builder attentionSinks(boolean v) {
      attentionSinks = v;
      return this;
    }

    public Builder routerBias(boolean v) {
      routerBias = v;
      return this;
    }

    public Builder expertBias(boolean v) {
      expertBias = v;
      return this;
    }

    /** The experts' activation and, for {@link ExpertActivation#CLAMPED_SWIGLU}, its limit. */
    public Builder expertActivation(ExpertActivation v, double limit) {
      expertActivation = Objects.requireNonNull(v);
      swigluLimit = limit;
      return this;
    }

    public Builder expertFormat(ExpertFormat v) {
      expertFormat = Objects.requireNonNull(v);
      return this;
    }

    /** Makes the model an encoder-decoder of this layout ({@code layers} is the sum). */
    public Builder encoderDecoder(EncoderDecoderConfig v) {
      encoderDecoder = Objects.requireNonNull(v);
      return this;
    }

    /** The encoder-decoder layout set so far, or {@code null}. */
    public EncoderDecoderConfig encoderDecoder() {
      return encoderDecoder;
    }

    /**
     * Builds and validates.
     *
     * @throws IllegalArgumentException if a field is out of range, naming it
     */
    public ModelConfig build() {
      ModelConfig c = new ModelConfig(this);
      try {
        c.validate(Path.of("<builder>"));
      } catch (ModelConfigException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      return c;
    }
  }
}
