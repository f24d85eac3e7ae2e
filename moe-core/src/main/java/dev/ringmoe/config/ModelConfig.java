package dev.ringmoe.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
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

  static ModelConfig parse(JsonObject json, Path file) throws ModelConfigException {
    JsonArray archs = json.has("architectures") && json.get("architectures").isJsonArray()
        ? json.getAsJsonArray("architectures") : null;
    if (archs == null || archs.size() == 0) {
      throw new ModelConfigException(file, "no 'architectures' list: cannot tell which model this is");
    }
    Architecture arch = Architecture.forName(archs.get(0).getAsString(), file);
    Builder b = builder(arch)
        .hiddenSize(intField(json, "hidden_size", file))
        .layers(intField(json, "num_hidden_layers", file))
        .heads(intField(json, "num_attention_heads", file))
        .kvHeads(json.has("num_key_value_heads") && !json.get("num_key_value_heads").isJsonNull()
            ? intField(json, "num_key_value_heads", file) : intField(json, "num_attention_heads", file))
        .intermediateSize(intField(json, "intermediate_size", file))
        .experts(intField(json, "num_local_experts", file))
        .topK(intField(json, "num_experts_per_tok", file))
        .vocabSize(intField(json, "vocab_size", file))
        .rmsNormEps(doubleField(json, "rms_norm_eps", 1e-5, file))
        .ropeTheta(doubleField(json, "rope_theta", 1e6, file))
        .maxPositions(json.has("max_position_embeddings") ? intField(json, "max_position_embeddings", file) : 4096)
        .tieWordEmbeddings(json.has("tie_word_embeddings") && json.get("tie_word_embeddings").getAsBoolean());
    if (json.has("head_dim") && !json.get("head_dim").isJsonNull()) {
      b.headDim(intField(json, "head_dim", file));
    }
    if (json.has("sliding_window") && !json.get("sliding_window").isJsonNull()) {
      b.slidingWindow(intField(json, "sliding_window", file));
    }
    if (json.has("norm_topk_prob") && !json.get("norm_topk_prob").isJsonNull()) {
      b.gate(json.get("norm_topk_prob").getAsBoolean()
          ? GateKind.SOFTMAX_TOPK_RENORMALISED : GateKind.SOFTMAX_TOPK);
    }
    if (json.has("hidden_act") && !"silu".equals(json.get("hidden_act").getAsString())) {
      throw new ModelConfigException(file, "hidden_act '" + json.get("hidden_act").getAsString()
          + "' is not supported (only silu)");
    }
    if (json.has("bos_token_id") && !json.get("bos_token_id").isJsonNull()) {
      b.bosTokenId(intField(json, "bos_token_id", file));
    }
    if (json.has("eos_token_id") && !json.get("eos_token_id").isJsonNull()) {
      JsonElement eos = json.get("eos_token_id");
      if (eos.isJsonArray()) {
        int[] ids = new int[eos.getAsJsonArray().size()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = eos.getAsJsonArray().get(i).getAsInt();
        }
        b.eosTokenIds(ids);
      } else {
        b.eosTokenIds(intField(json, "eos_token_id", file));
      }
    }
    ModelConfig config = new ModelConfig(b);
    config.validate(file);
    return config;
  }

  private static int intField(JsonObject json, String name, Path file) throws ModelConfigException {
    JsonElement e = json.get(name);
    if (e == null || e.isJsonNull()) {
      throw new ModelConfigException(file, "missing required field '" + name + "'");
    }
    try {
      double d = e.getAsDouble();
      if (d != Math.rint(d) || d > Integer.MAX_VALUE || d < Integer.MIN_VALUE) {
        throw new ModelConfigException(file, "field '" + name + "' must be an integer, was " + e);
      }
      return (int) d;
    } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
      throw new ModelConfigException(file, "field '" + name + "' must be a number, was " + e);
    }
  }

  private static double doubleField(JsonObject json, String name, double fallback, Path file)
      throws ModelConfigException {
    JsonElement e = json.get(name);
    if (e == null || e.isJsonNull()) {
      return fallback;
    }
    try {
      return e.getAsDouble();
    } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
      throw new ModelConfigException(file, "field '" + name + "' must be a number, was " + e);
    }
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
    o.addProperty("num_local_experts", experts);
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

  /** Parameters in one expert (gate, up and down projections). */
  public long expertParameters() {
    return 3L * hiddenSize * intermediateSize;
  }

  /** Parameters of one layer's dense part: attention projections, router and the two norms. */
  public long denseLayerParameters() {
    long q = (long) heads * headDim;
    long kv = (long) kvHeads * headDim;
    return (long) hiddenSize * (2 * q + 2 * kv) + (long) experts * hiddenSize + 2L * hiddenSize;
  }

  /** Parameters outside the layers: embedding, final norm and (unless tied) the LM head. */
  public long globalParameters() {
    long table = (long) vocabSize * hiddenSize;
    return table + hiddenSize + (tieWordEmbeddings ? 0 : table);
  }

  /** Bytes of every weight in float32, the form compute uses. */
  public long float32WeightBytes() {
    return 4L * (globalParameters() + layers * (denseLayerParameters() + experts * expertParameters()));
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

    private Builder(Architecture architecture) {
      this.architecture = architecture;
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
