package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.Storage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The options every model-running command shares: the checkpoint and how its weights are held (a
 * device memory budget in bytes or as a percentage of the float32 weights, ring slots, prefetch
 * policy), and where to write the ring's statistics.
 */
final class ModelOptions {
  static final Set<String> VALUED =
      Set.of(
          "model",
          "device-memory",
          "ring-slots",
          "prefetch",
          "stats-json",
          "predictor",
          "mode",
          "kv-positions",
          "eviction");
  static final Set<String> FLAGS = Set.of("expert-cache", "direct-io");

  static final String USAGE =
      "  --model DIR           Hugging Face checkpoint directory (config.json, *.safetensors, tokenizer.json)\n"
          + "  --device-memory SIZE  cap the memory compute may use for weights: bytes with units (512MB, 2GiB) or a\n"
          + "                        percentage of the float32 weights (25%); weights beyond it stream through a ring\n"
          + "  --ring-slots K        ring slots, K >= 0; 0 (the default) uses as many as the budget holds\n"
          + "  --prefetch POLICY     none | all | lookahead (default lookahead): what the ring loads ahead of compute\n"
          + "  --expert-cache        cache streamed experts one by one across tokens instead of whole-layer slots\n"
          + "  --eviction POLICY     lfu (default: least frequently used, uses decaying over 64 tokens) | lru: what the\n"
          + "                        expert cache evicts\n"
          + "  --direct-io           with --device-memory: read the checkpoint with direct I/O (O_DIRECT) through a\n"
          + "                        64 MiB staging area, so the model stays out of the page cache (docs/storage.md)\n"
          + "  --kv-positions N      with --device-memory: the positions of one sequence the KV cache gets inside the\n"
          + "                        budget (default 4096, at most the model's max_position_embeddings)\n"
          + "  --predictor SPEC      which experts to load ahead: sida:FILE (a trained hash network, run ahead on the\n"
          + "                        ringmoe-hash thread), combined:FILE[@W] (that network refined by lookahead one\n"
          + "                        layer ahead), lookahead, frequency:TRACE, or oracle (replays the routing the\n"
          + "                        resident model chooses for this run: an upper bound); with --device-memory it\n"
          + "                        selects the expert cache\n"
          + "  --mode MODE           exact (default: the router decides, logits equal the resident run) or sida (the\n"
          + "                        sida: predictor's experts and probabilities replace the router; approximate)\n"
          + "  --stats-json FILE     write the ring's statistics (bytes moved, stall, peak device bytes) as JSON\n";

  private ModelOptions() {}

  /** The shared options plus a command's own. */
  static Set<String> valuedWith(String... own) {
    Set<String> all = new java.util.HashSet<>(VALUED);
    all.addAll(java.util.List.of(own));
    return all;
  }

  static MoeModel.Builder builder(Args args, String command) throws java.io.IOException {
    return builder(args, command, null);
  }

  /**
   * As {@link #builder(Args, String)}; {@code sequence} gives the run's tokens to {@code
   * --predictor oracle}.
   */
  static MoeModel.Builder builder(Args args, String command, Predictors.RunSequence sequence)
      throws java.io.IOException {
    // Every option value first (usage errors, exit 2), then what needs the files.
    MoeModel.Builder b = MoeModel.builder();
    String mode = args.string("mode", "exact");
    if (!mode.equals("exact") && !mode.equals("sida")) {
      throw new UsageException(command + ": --mode must be exact or sida, was '" + mode + "'");
    }
    if (mode.equals("sida")
        && !Predictors.canonical(args.string("predictor", "")).startsWith("sida:")) {
      throw new UsageException(command + ": --mode sida needs --predictor sida:FILE");
    }
    boolean ring = args.has("device-memory");
    if (!ring
        && (args.has("ring-slots")
            || args.has("prefetch")
            || args.has("expert-cache")
            || args.has("direct-io")
            || args.has("kv-positions")
            || args.has("eviction"))) {
      throw new UsageException(
          command
              + ": --ring-slots, --prefetch, --expert-cache, --eviction, --direct-io and"
              + " --kv-positions need --device-memory");
    }
    if (args.has("expert-cache") && args.has("ring-slots")) {
      throw new UsageException(command + ": --ring-slots does not apply to --expert-cache");
    }
    if (ring) {
      String memory = args.required("device-memory").trim();
      if (memory.endsWith("%")) {
        double percent;
        try {
          percent = Double.parseDouble(memory.substring(0, memory.length() - 1));
        } catch (NumberFormatException e) {
          throw new UsageException(
              command + ": --device-memory must be a size or a percentage, was '" + memory + "'");
        }
        if (!(percent > 0 && percent <= 100)) {
          throw new UsageException(
              command + ": --device-memory percentage must be in (0, 100], was " + memory);
        }
        b.deviceMemoryFraction(percent / 100);
      } else {
        b.deviceMemory(args.bytes("device-memory", 0));
      }
      int slots = args.integer("ring-slots", 0);
      if (slots < 0) {
        throw new UsageException(
            command
                + ": --ring-slots must be >= 0 (0 uses as many slots as the budget holds),"
                + " was "
                + slots);
      }
      if (args.has("eviction")) {
        b.eviction(eviction(args.required("eviction"), command));
      }
      if (args.has("kv-positions")) {
        int kv = args.integer("kv-positions", 0);
        if (kv < 1) {
          throw new UsageException(command + ": --kv-positions must be >= 1, was " + kv);
        }
        b.kvPositions(kv);
      }
      b.ringSlots(slots)
          .prefetch(prefetch(args.string("prefetch", "lookahead"), command))
          .expertCache(args.has("expert-cache") || args.has("predictor"))
          .storage(args.has("direct-io") ? Storage.DIRECT : Storage.MAPPED);
    }
    Path dir = checkpointDir(args);
    b.checkpoint(dir);
    if (args.has("predictor")) {
      b.predictor(Predictors.runtime(args.required("predictor"), dir, command, sequence));
      if (mode.equals("sida")) {
        b.routingMode(dev.ringmoe.RoutingMode.SIDA);
      }
    }
    return b;
  }

  /**
   * The {@code --model} directory, checked before anything reads it: a missing path or a file is
   * reported for what it is (a file-system exception: exit 1, as other file problems).
   */
  static Path checkpointDir(Args args) throws IOException {
    Path dir = args.path("model");
    if (!Files.exists(dir)) {
      throw new java.nio.file.NoSuchFileException(
          dir.toString(), null, "no such checkpoint directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.FileSystemException(
          dir.toString(),
          null,
          "not a directory (--model takes the"
              + " checkpoint directory, the one with config.json)");
    }
    return dir;
  }

  static dev.ringmoe.Eviction eviction(String name, String command) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "lfu":
        return dev.ringmoe.Eviction.LFU;
      case "lru":
        return dev.ringmoe.Eviction.LRU;
      default:
        throw new UsageException(command + ": --eviction must be lfu or lru, was '" + name + "'");
    }
  }

  static Prefetch prefetch(String name, String command) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "none":
        return Prefetch.NONE;
      case "all":
        return Prefetch.ALL;
      case "lookahead":
        return Prefetch.LOOKAHEAD;
      default:
        throw new UsageException(
            command + ": --prefetch must be none, all or lookahead, was '" + name + "'");
    }
  }

  /** Prints the ring's summary to {@code err} and writes {@code --stats-json} if asked. */
  static void report(Args args, MoeModel model, PrintStream err) throws IOException {
    Optional<RingStats> stats = model.ringStats();
    if (stats.isPresent()) {
      err.println("[" + stats.get() + "]");
    }
    if (args.has("stats-json")) {
      Path file = args.path("stats-json");
      String json = stats.map(RingStats::toJson).orElse("{\"resident\": true}\n");
      Files.writeString(file, json, StandardCharsets.UTF_8);
    }
  }
}
