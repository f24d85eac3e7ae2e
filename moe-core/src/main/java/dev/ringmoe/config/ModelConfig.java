package dev.ringmoe.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.ringmoe.manifest.WeightManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * The hyper-parameters of an MoE decoder, read from a Hugging Face {@code config.json} or built for a synthetic
 * checkpoint. Every field the model uses is here, validated on construction; the architecture-specific parts (tensor
 * names, gate kind) come from {@link Architecture}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelConfig {
  /** The file name Hugging Face uses for a model's configuration. */
  public static final String FILE_NAME = "config.json";

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
  private final boolean[] moeLayers;
  private final boolean attentionBias;
  private final QkNorm qkNorm;
  private volatile WeightManifest manifest;

  private ModelConfig(Builder b) {
    this.architecture = Objects.requireNonNull(b.architecture, "architecture");
    this.hiddenSize = b.hiddenSize;
    this.layers = b.layers;
    this.heads = b.heads;
    this.kvHeads = b.kvHeads;
    this.headDim = b.headDim > 0 ? b.headDim : (b.heads > 0 ? b.hiddenSize / b.heads : 0);
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
    this.denseIntermediateSize = b.denseIntermediateSize > 0 ? b.denseIntermediateSize : b.intermediateSize;
    this.sharedExpertIntermediateSize = b.sharedExpertIntermediateSize;
    this.sharedExpertGate = b.sharedExpertGate;
    this.moeLayers = new boolean[Math.max(0, b.layers)];
    java.util.Arrays.fill(moeLayers, true);
    for (int l : b.denseLayers) {
      if (l >= 0 && l < moeLayers.length) {
        moeLayers[l] = false;
      }
    }
    this.attentionBias = b.attentionBias;
    this.qkNorm = b.qkNorm;
  }

  /** Checks the invariants; {@code where} names the source for the message. */
  private void validate(Path where) throws ModelConfigException {
    check(where, hiddenSize > 0, "hidden_size must be positive, was " + hiddenSize);
    check(where, layers > 0, "num_hidden_layers must be positive, was " + layers);
    check(where, heads > 0, "num_attention_heads must be positive, was " + heads);
    check(where, kvHeads > 0 && heads % kvHeads == 0,
        "num_key_value_heads (" + kvHeads + ") must be positive and divide num_attention_heads (" + heads + ")");
    check(where, headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, was " + headDim);
    check(where, intermediateSize > 0, "intermediate_size must be positive, was " + intermediateSize);
    check(where, experts > 0, "num_local_experts must be positive, was " + experts);
    check(where, topK > 0 && topK <= experts,
        "num_experts_per_tok (" + topK + ") must be between 1 and num_local_experts (" + experts + ")");
    check(where, vocabSize > 0, "vocab_size must be positive, was " + vocabSize);
    check(where, rmsNormEps > 0, "rms_norm_eps must be positive, was " + rmsNormEps);
    check(where, ropeTheta > 0, "rope_theta must be positive, was " + ropeTheta);
    check(where, maxPositions > 0, "max_position_embeddings must be positive, was " + maxPositions);
    check(where, slidingWindow >= 0, "sliding_window must be positive or null, was " + slidingWindow);
    check(where, denseIntermediateSize > 0, "intermediate_size must be positive, was " + denseIntermediateSize);
    check(where, sharedExpertIntermediateSize >= 0,
        "shared_expert_intermediate_size must not be negative, was " + sharedExpertIntermediateSize);
    check(where, bosTokenId >= 0 && bosTokenId < vocabSize,
        "bos_token_id " + bosTokenId + " is outside the vocabulary [0, " + vocabSize + ")");
    for (int id : eosTokenIds) {
      check(where, id >= 0 && id < vocabSize, "eos_token_id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
  }

  private static void check(Path where, boolean ok, String problem) throws ModelConfigException {
    if (!ok) {
      throw new ModelConfigException(where, problem);
    }
  }

  /**
   * Reads {@code config.json} from a checkpoint directory.
   *
   * @throws ModelConfigException if the file is missing, not JSON, lacks a required field or is inconsistent
   * @throws UnsupportedArchitectureException if it names an architecture this version cannot run
   */
  public static ModelConfig load(Path checkpointDir) throws IOException {
    Path file = checkpointDir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ModelConfigException(file, "missing: a checkpoint directory needs a config.json");
    }
    JsonObject json;
    try {
      JsonElement e = JsonParser.parseString(text);
      if (!e.isJsonObject()) {
        throw new ModelConfigException(file, "not a JSON object");
      }
      json = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new ModelConfigException(file, "not valid JSON: " + e.getMessage());
    }
    return parse(json, file);
  }

  static ModelConfig parse(JsonObject object, Path file) throws ModelConfigException {
    ConfigJson json = new ConfigJson(object, file);
    String[] archs = json.stringList("architectures");
    if (archs.length == 0) {
      throw new ModelConfigException(file, "no 'architectures' list: cannot tell which model this is");
    }
    Architecture arch = Architecture.forName(archs[0], file);
    int heads = json.requiredInt("num_attention_heads");
    Builder b = builder(arch)
        .hiddenSize(json.requiredInt("hidden_size"))
        .layers(json.requiredInt("num_hidden_layers"))
        .heads(heads)
        .kvHeads(json.optionalInt("num_key_value_heads", heads))
        .headDim(json.optionalInt("head_dim", 0))
        .topK(json.requiredInt("num_experts_per_tok"))
        .vocabSize(json.requiredInt("vocab_size"))
        .rmsNormEps(json.optionalDouble("rms_norm_eps", 1e-5))
        .ropeTheta(json.optionalDouble("rope_theta", 1e6))
        .maxPositions(json.optionalInt("max_position_embeddings", 4096))
        .slidingWindow(json.optionalInt("sliding_window", 0))
        .tieWordEmbeddings(json.optionalBoolean("tie_word_embeddings", false))
        .bosTokenId(json.optionalInt("bos_token_id", 1));
    if (json.has("norm_topk_prob")) {
      b.gate(json.optionalBoolean("norm_topk_prob", true) ? GateKind.SOFTMAX_TOPK_RENORMALISED : GateKind.SOFTMAX_TOPK);
    }
    String act = json.optionalString("hidden_act");
    if (act != null && !"silu".equals(act)) {
      throw new ModelConfigException(file, "hidden_act '" + act + "' is not supported (only silu)");
    }
    int[] eos = json.intOrIntList("eos_token_id");
    if (eos.length > 0) {
      b.eosTokenIds(eos);
    }
    if (json.has("rope_scaling")) {
      throw new ModelConfigException(file, "rope_scaling is not supported yet (it must be null)");
    }
    arch.family().readConfig(json, b);
    ModelConfig config = new ModelConfig(b);
    config.validate(file);
    return config;
  }

  /**
   * This configuration as Hugging Face writes it to {@code config.json}, so that a synthetic checkpoint loads in
   * any tool that reads the format.
   *
   * @param torchDtype the {@code torch_dtype} to record, for example {@code "bfloat16"}
   */
  public String toJson(String torchDtype) {
    JsonObject o = new JsonObject();
    JsonArray archs = new JsonArray();
    archs.add(architecture.name());
    o.add("architectures", archs);
    o.addProperty("model_type", architecture.modelType());
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

  /** Dense MLP width of a layer without experts ({@code intermediate_size} where experts have their own). */
  public int denseIntermediateSize() {
    return denseIntermediateSize;
  }

  /** The shared expert's intermediate width; 0 when the MoE layers have no shared expert. */
  public int sharedExpertIntermediateSize() {
    return sharedExpertIntermediateSize;
  }

  /** Whether the shared expert's output is scaled by a sigmoid gate (Qwen2-MoE's {@code shared_expert_gate}). */
  public boolean sharedExpertGate() {
    return sharedExpertGate;
  }

  /** Whether {@code layer} has a sparse MoE block (otherwise a dense MLP). */
  public boolean isMoeLayer(int layer) {
    return moeLayers[layer];
  }

  /** The layers with a sparse MoE block, ascending. */
  public int[] moeLayers() {
    return java.util.stream.IntStream.range(0, layers).filter(l -> moeLayers[l]).toArray();
  }

  /** Whether the q, k and v projections have biases. */
  public boolean attentionBias() {
    return attentionBias;
  }

  public QkNorm qkNorm() {
    return qkNorm;
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
    int l = moeLayers().length > 0 ? moeLayers()[0] : -1;
    return l < 0 ? 0 : manifest().expert(l, 0).parameters();
  }

  /**
   * Parameters of the largest layer's dense section (attention, norms, router, shared expert or dense MLP): what a
   * ring slot holding any layer's dense section needs.
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

  /** Bytes of every weight in float32, the form compute uses. */
  public long float32WeightBytes() {
    return 4L * manifest().parameters();
  }

  @Override
  public String toString() {
    return architecture.name() + "{hidden=" + hiddenSize + ", layers=" + layers + ", heads=" + heads + "/" + kvHeads
        + ", headDim=" + headDim + ", experts=" + experts + " top-" + topK + ", intermediate=" + intermediateSize
        + ", vocab=" + vocabSize + "}";
  }

  /** A builder for configurations made in code, for example for synthetic checkpoints. */
  public static Builder builder(Architecture architecture) {
    return new Builder(architecture);
  }

  /** Mutable builder; not thread-safe. Defaults follow Mixtral-8x7B's conventions where one applies. */
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

    /** The dense MLP width of layers without experts; 0 (the default) means {@code intermediateSize}. */
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
