package dev.ringmoe.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ringmoe.ByteSizes;
import dev.ringmoe.NativeMemoryLimits;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.ring.ExpertCacheStore;
import dev.ringmoe.ring.SectionPlan;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code ringmoe info --model DIR}: what a checkpoint is and what running it takes, without loading
 * a weight. The budgets are moe-ring's own planning arithmetic ({@link SectionPlan#minimumBudget},
 * {@link ExpertCacheStore#minimumBudget}) with the KV reservation {@link StoreOptions} gives the
 * store, so each is exactly the smallest {@code --device-memory} that {@code build()} accepts.
 */
final class InfoCommand implements Command {
  /** The ring sizes the budget table lists. */
  static final int MAX_SLOTS_LISTED = 4;

  @Override
  public String name() {
    return "info";
  }

  @Override
  public String summary() {
    return "describe a checkpoint: architecture, parameters, bytes, KV cache, minimum budgets, JVM";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe info --model DIR [--kv-positions N] [--json]\n\n"
        + "Describes a checkpoint without loading its weights: architecture and family, layers, experts and\n"
        + "shapes, parameters (total, and active per token: every dense weight plus top-k experts per layer),\n"
        + "bytes per dtype as stored, the bytes held resident (in the dtype compute reads), KV cache bytes per\n"
        + "token, the smallest --device-memory for a ring of K = 1..4 slots and for --expert-cache (exactly\n"
        + "what the model accepts: one byte less is refused), whether tokenizer and chat template are present,\n"
        + "and whether this JVM's native memory limits (JavaCPP) and heap let the model load resident.\n\n"
        + "  --model DIR        the checkpoint directory\n"
        + "  --kv-positions N   positions of one sequence the budgets reserve for the KV cache (default 4096,\n"
        + "                     at most the model's max_position_embeddings), as --kv-positions of generate\n"
        + "  --json             print one JSON object instead of text\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("model", "kv-positions");
  }

  @Override
  public Set<String> flags() {
    return Set.of("json");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws IOException {
    int kvPositions = args.integer("kv-positions", StoreOptions.DEFAULT_KV_POSITIONS);
    if (kvPositions < 1) {
      throw new UsageException("ringmoe info: --kv-positions must be >= 1, was " + kvPositions);
    }
    Path dir = ModelOptions.checkpointDir(args);
    JsonObject info = describe(dir, kvPositions);
    if (args.has("json")) {
      out.println(
          new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(info));
    } else {
      out.print(text(info));
    }
    return 0;
  }

  /** Everything {@code info} reports, as the JSON object {@code --json} prints. */
  static JsonObject describe(Path dir, int kvPositions) throws IOException {
    ModelConfig config = ModelConfig.load(dir);
    WeightManifest m = config.manifest();
    JsonObject o = new JsonObject();
    o.addProperty("model", dir.toString());
    o.addProperty("architecture", config.architecture().name());
    o.addProperty("modelType", config.architecture().modelType());
    o.addProperty("family", familyName(config));
    o.addProperty("encoderDecoder", config.encoderDecoder() != null);

    JsonObject shape = new JsonObject();
    int moeLayers = 0;
    for (int l = 0; l < m.layers(); l++) {
      moeLayers += m.experts(l) > 0 ? 1 : 0;
    }
    shape.addProperty("layers", m.layers());
    shape.addProperty("moeLayers", moeLayers);
    shape.addProperty("hidden", config.hiddenSize());
    shape.addProperty("heads", config.heads());
    shape.addProperty("kvHeads", config.kvHeads());
    shape.addProperty("headDim", config.headDim());
    shape.addProperty("experts", config.experts());
    shape.addProperty("topK", config.topK());
    shape.addProperty("expertIntermediate", config.intermediateSize());
    shape.addProperty("vocab", config.vocabSize());
    shape.addProperty("maxPositions", config.maxPositions());
    o.add("shape", shape);

    JsonObject params = new JsonObject();
    long active = m.globals().parameters();
    for (int l = 0; l < m.layers(); l++) {
      active += m.dense(l).parameters();
      if (m.experts(l) > 0) {
        active += Math.min(config.topK(), m.experts(l)) * m.expert(l, 0).parameters();
      }
    }
    params.addProperty("total", m.parameters());
    params.addProperty("activePerToken", active);
    params.addProperty("global", m.globals().parameters());
    params.addProperty("perExpert", config.expertParameters());
    o.add("parameters", params);

    try (Checkpoint files = Checkpoint.open(dir)) {
      Map<DType, long[]> byType = new TreeMap<>();
      for (String name : files.tensorNames()) {
        TensorInfo t = files.tensor(name);
        long[] sum = byType.computeIfAbsent(t.dtype(), k -> new long[2]);
        sum[0] += t.byteSize();
        sum[1]++;
      }
      JsonObject stored = new JsonObject();
      for (Map.Entry<DType, long[]> e : byType.entrySet()) {
        JsonObject d = new JsonObject();
        d.addProperty("bytes", e.getValue()[0]);
        d.addProperty("tensors", e.getValue()[1]);
        stored.add(e.getKey().name(), d);
      }
      stored.addProperty("totalBytes", files.totalBytes());
      o.add("stored", stored);

      DataType type = Tensors.weightType(files, m);
      long held = config.weightBytes(type.width());
      JsonObject h = new JsonObject();
      h.addProperty("dtype", WeightSizes.name(type));
      h.addProperty("bytes", held);
      o.add("held", h);

      StoreOptions store =
          new StoreOptions(1, 0, 0, dev.ringmoe.Prefetch.LOOKAHEAD, null, false)
              .withKvPositions(kvPositions);
      long kvBytes = store.kvBytes(config);
      JsonObject kv = new JsonObject();
      kv.addProperty("bytesPerToken", config.kvCacheBytesPerToken());
      kv.addProperty("positions", store.kvPositions(config));
      kv.addProperty("bytes", kvBytes);
      o.add("kvCache", kv);

      // What the streaming stores reserve before planning the weights: the KV cache (memory
      // mappings have no staging area; direct I/O adds its own).
      JsonObject budgets = new JsonObject();
      JsonArray ring = new JsonArray();
      for (int k = 1; k <= MAX_SLOTS_LISTED; k++) {
        JsonObject r = new JsonObject();
        r.addProperty("slots", k);
        r.addProperty("effectiveSlots", Math.min(k, config.layers()));
        r.addProperty("bytes", SectionPlan.minimumBudget(config, type, k, kvBytes));
        ring.add(r);
      }
      budgets.add("ring", ring);
      budgets.addProperty(
          "expertCache",
          moeLayers == 0 ? -1 : ExpertCacheStore.minimumBudget(config, type, kvBytes));
      budgets.addProperty("includesKvBytes", kvBytes);
      o.add("minimumBudget", budgets);

      o.add("jvm", jvm(held, kvBytes, dir));
    }

    o.addProperty("tokenizer", Files.isRegularFile(dir.resolve("tokenizer.json")));
    String chat;
    try {
      chat = ChatTemplate.fromCheckpoint(dir).map(ChatTemplate::origin).orElse(null);
    } catch (RuntimeException | IOException e) {
      chat = "unreadable: " + RingMoeCli.describe(e);
    }
    o.addProperty("chatTemplate", chat);
    return o;
  }

  private static String familyName(ModelConfig config) {
    String n = config.architecture().family().getClass().getSimpleName();
    return n.endsWith("Family") ? n.substring(0, n.length() - "Family".length()) : n;
  }

  /**
   * This JVM's limits against the model: JavaCPP's (which ND4J allocates through; it counts mapped
   * checkpoint pages as physical memory) and the heap, which holds the KV cache. The verdict is
   * {@link NativeMemoryLimits}'s own check, the one {@code build()} makes before loading.
   */
  private static JsonObject jvm(long heldBytes, long kvBytes, Path dir) {
    JsonObject j = new JsonObject();
    j.addProperty("javacppMaxBytes", Pointer.maxBytes());
    j.addProperty("javacppMaxPhysicalBytes", Pointer.maxPhysicalBytes());
    j.addProperty("heapMaxBytes", Runtime.getRuntime().maxMemory());
    j.addProperty("vectorApi", ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    String problem = null;
    try {
      NativeMemoryLimits.check(heldBytes, "every weight resident (" + dir + ")");
    } catch (IllegalStateException e) {
      problem = e.getMessage();
    }
    j.addProperty("residentFits", problem == null);
    // the KV cache is Java arrays on the heap, growing with the sequence up to its positions
    j.addProperty("heapHoldsKvCache", Runtime.getRuntime().maxMemory() > kvBytes);
    if (problem != null) {
      j.addProperty("problem", problem);
    }
    return j;
  }

  /** The text form of {@link #describe}. */
  static String text(JsonObject o) {
    StringBuilder b = new StringBuilder();
    JsonObject s = o.getAsJsonObject("shape");
    JsonObject p = o.getAsJsonObject("parameters");
    line(b, "model", o.get("model").getAsString());
    line(
        b,
        "architecture",
        o.get("architecture").getAsString()
            + " (family "
            + o.get("family").getAsString()
            + ", model_type "
            + o.get("modelType").getAsString()
            + (o.get("encoderDecoder").getAsBoolean() ? ", encoder-decoder" : "")
            + ")");
    line(
        b,
        "shape",
        String.format(
            Locale.ROOT,
            "%d layers (%d MoE), hidden %d, heads %d/%d x %d, %d experts top-%d (intermediate %d), vocab %d,"
                + " max positions %d",
            i(s, "layers"),
            i(s, "moeLayers"),
            i(s, "hidden"),
            i(s, "heads"),
            i(s, "kvHeads"),
            i(s, "headDim"),
            i(s, "experts"),
            i(s, "topK"),
            i(s, "expertIntermediate"),
            i(s, "vocab"),
            i(s, "maxPositions")));
    line(
        b,
        "parameters",
        String.format(
            Locale.ROOT,
            "%,d total, %,d active per token (%,d per expert)",
            l(p, "total"),
            l(p, "activePerToken"),
            l(p, "perExpert")));
    JsonObject stored = o.getAsJsonObject("stored");
    StringBuilder types = new StringBuilder();
    for (String key : stored.keySet()) {
      if (!key.equals("totalBytes")) {
        JsonObject d = stored.getAsJsonObject(key);
        types.append(types.length() == 0 ? "" : ", ");
        types.append(
            String.format(
                Locale.ROOT, "%s %s (%d tensors)", key, bytes(l(d, "bytes")), l(d, "tensors")));
      }
    }
    line(b, "stored", types + "; " + bytes(l(stored, "totalBytes")) + " in all");
    JsonObject held = o.getAsJsonObject("held");
    line(
        b,
        "held",
        bytes(l(held, "bytes"))
            + " resident, as "
            + held.get("dtype").getAsString()
            + " (what compute reads)");
    JsonObject kv = o.getAsJsonObject("kvCache");
    line(
        b,
        "kv cache",
        String.format(
            Locale.ROOT,
            "%s per token; %s for %d positions",
            bytes(l(kv, "bytesPerToken")),
            bytes(l(kv, "bytes")),
            l(kv, "positions")));
    JsonObject budgets = o.getAsJsonObject("minimumBudget");
    StringBuilder ring = new StringBuilder();
    for (var e : budgets.getAsJsonArray("ring")) {
      JsonObject r = e.getAsJsonObject();
      ring.append(ring.length() == 0 ? "" : ", ");
      ring.append("K=").append(l(r, "slots")).append(' ').append(bytes(l(r, "bytes")));
      if (l(r, "effectiveSlots") != l(r, "slots")) {
        ring.append(" (").append(l(r, "effectiveSlots")).append(" layers)");
      }
    }
    line(b, "min budget", "ring " + ring + " (--device-memory, --ring-slots K)");
    long cache = l(budgets, "expertCache");
    line(
        b,
        "",
        (cache < 0 ? "expert cache: no routed experts" : "expert cache " + bytes(cache))
            + "; each includes the KV cache above, memory-mapped storage (--direct-io adds its"
            + " staging area)");
    line(b, "tokenizer", o.get("tokenizer").getAsBoolean() ? "tokenizer.json" : "none");
    line(
        b,
        "chat template",
        o.get("chatTemplate").isJsonNull() ? "none" : o.get("chatTemplate").getAsString());
    JsonObject j = o.getAsJsonObject("jvm");
    line(
        b,
        "jvm",
        "javacpp maxbytes "
            + limit(l(j, "javacppMaxBytes"))
            + ", maxphysicalbytes "
            + limit(l(j, "javacppMaxPhysicalBytes"))
            + ", heap "
            + bytes(l(j, "heapMaxBytes"))
            + ", Vector API "
            + (j.get("vectorApi").getAsBoolean()
                ? "on"
                : "off (--add-modules jdk.incubator.vector)"));
    line(
        b,
        "",
        j.get("residentFits").getAsBoolean()
            ? "large-model settings in effect: the resident weights fit JavaCPP's limits"
            : "NOT in effect: " + j.get("problem").getAsString());
    if (!j.get("heapHoldsKvCache").getAsBoolean()) {
      line(
          b,
          "",
          "the heap is smaller than the KV cache above (on the heap): raise -Xmx (RINGMOE_HEAP) or"
              + " lower --kv-positions");
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String key, String value) {
    b.append(String.format(Locale.ROOT, "%-14s %s%n", key, value));
  }

  private static String bytes(long n) {
    return String.format(Locale.ROOT, "%s (%,d bytes)", ByteSizes.format(n), n);
  }

  private static String limit(long n) {
    return n <= 0 ? "0 (no limit)" : ByteSizes.format(n);
  }

  private static int i(JsonObject o, String key) {
    return o.get(key).getAsInt();
  }

  private static long l(JsonObject o, String key) {
    return o.get(key).getAsLong();
  }
}
