package dev.ringmoe.cli;

import com.google.gson.JsonObject;
import dev.ringmoe.Eviction;
import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.RingStats;
import dev.ringmoe.RoutingMode;
import dev.ringmoe.TokenGenerator;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.MappedTensorReader;
import dev.ringmoe.checkpoint.Storage;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.hash.baseline.OraclePredictor;
import dev.ringmoe.hash.trace.TokenWindows;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.ring.BeladyCache;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.tensor.VectorMath;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code ringmoe bench}: prefill and decode tokens per second of the all-resident model against the
 * memory roofline (the machine's read bandwidth, measured in the same run, divided by the weight
 * bytes one decode token reads), and, with {@code --budgets}, of the ring at several device budgets
 * and prefetch policies, as one table.
 */
final class BenchCommand implements Command {
  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "measure tokens/s: resident vs the memory roofline, and the ring at several budgets";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe bench [--model DIR] [--prompt-tokens N] [--decode-tokens N] [--repeats N]\n"
        + "                     [--budgets 100%,50%,25%,12.5%] [--prefetch lookahead,none] [--ring-slots K]\n"
        + "                     [--stores ring,cache] [--predictor LIST] [--mode exact|sida] [--data FILE.u16]\n"
        + "                     [--json FILE] [--plot FILE.png] [--direct-io]\n\n"
        + "  --model DIR         checkpoint to measure; default: a synthetic float32 Mixtral (hidden 512, 8 layers,\n"
        + "                      8/2 heads, 8 experts top-2, intermediate 1792, vocab 1000), synthesized once\n"
        + "  --prompt-tokens N   prompt length for prefill (default 128)\n"
        + "  --decode-tokens N   tokens generated per run (default 128)\n"
        + "  --repeats N         measured runs after one warm-up; the median is reported (default 5)\n"
        + "  --budgets LIST      device budgets to run the ring at: sizes (1GB) or percentages of the float32\n"
        + "                      weights (25%); without it only the resident model is measured\n"
        + "  --prefetch LIST     what to load ahead, compared at each budget: none, all, lookahead, or a\n"
        + "                      predictor: sida:FILE, combined:FILE[@W], frequency:TRACE, oracle (replays the\n"
        + "                      resident run's routing: the upper bound) (default lookahead,none)\n"
        + "  --ring-slots K      fix K instead of taking as many slots as each budget holds (0, the default)\n"
        + "  --stores LIST       ring (whole-layer slots, the default), cache (experts cached one by one, evicting\n"
        + "                      the least frequently used) and/or cache-lru (the same, least recently used)\n"
        + "  --direct-io         budget rows read the checkpoint with direct I/O through a 64 MiB staging area\n"
        + "                      inside the budget, so the model stays out of the page cache (docs/storage.md)\n"
        + "                      (every budget also holds the KV cache of the run's prompt + decode positions)\n"
        + "  --predictor LIST    predictors to compare as well (same specs as in --prefetch; --prefetch then\n"
        + "                      defaults to none, the on-demand baseline)\n"
        + "  --mode MODE         exact (default) or sida: sida:FILE rows skip the router (SiDA's mode)\n"
        + "  --data FILE.u16     take the prompt from these token ids (BOS + the first tokens) instead of random\n"
        + "                      ids: learned predictors need real text\n"
        + "  --json FILE         also write every row, the settings and the machine as JSON (schema 1, see\n"
        + "                      docs/benchmarks.md)\n"
        + "  --plot FILE.png     also draw decode tok/s and storage bytes per decode token against the budget\n\n"
        + "Also measures the memory read bandwidth (the best of a Java read loop on all cores and ND4J's\n"
        + "matrix-vector product, each over 1 GiB) and reports resident decode speed as a fraction of\n"
        + "bandwidth / (weight bytes one decode token reads). Ring rows report the share of time compute waited\n"
        + "for copies (stall), bytes copied into device slots per decode token, the ring's peak device bytes and\n"
        + "the process's peak resident memory and the machine's page cache above their levels before the model\n"
        + "was loaded. Cache rows compare the bytes they read from storage with Belady's optimal replacement\n"
        + "(MIN) at the same number of expert slots, over the routing of the resident run. After the table,\n"
        + "the CPU time other processes and the hypervisor took during the measurements, with a warning\n"
        + "when the machine was not idle.\n";
  }

  @Override
  public Set<String> flags() {
    return Set.of("direct-io");
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of(
        "model",
        "prompt-tokens",
        "decode-tokens",
        "repeats",
        "budgets",
        "prefetch",
        "ring-slots",
        "stores",
        "data",
        "predictor",
        "mode",
        "json",
        "plot");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int promptTokens = args.integer("prompt-tokens", 128);
    int decodeTokens = args.integer("decode-tokens", 128);
    int repeats = args.integer("repeats", 5);
    int slots = args.integer("ring-slots", 0);
    if (promptTokens < 1 || decodeTokens < 2 || repeats < 1 || slots < 0) {
      throw new UsageException(
          "ringmoe bench: --prompt-tokens >= 1, --decode-tokens >= 2, --repeats >= 1 and"
              + " --ring-slots >= 0 (0, the default, uses as many slots as each budget holds)");
    }
    List<String> budgets = args.has("budgets") ? split(args.required("budgets")) : List.of();
    List<String> policies =
        new ArrayList<>(
            split(args.string("prefetch", args.has("predictor") ? "none" : "lookahead,none")));
    if (args.has("predictor")) {
      policies.addAll(split(args.required("predictor")));
    }
    String mode = args.string("mode", "exact");
    if (!mode.equals("exact") && !mode.equals("sida")) {
      throw new UsageException("ringmoe bench: --mode must be exact or sida, was '" + mode + "'");
    }
    if (mode.equals("sida") && policies.stream().noneMatch(p -> p.startsWith("sida:"))) {
      throw new UsageException("ringmoe bench: --mode sida needs a sida:FILE predictor");
    }
    for (String p : policies) {
      if (!p.contains(":") && !p.equals("oracle")) {
        ModelOptions.prefetch(p, "ringmoe bench");
      }
    }
    for (String b : budgets) {
      parseBudget(b, 1L << 40); // syntax first, before anything slow happens
    }
    List<String> stores = split(args.string("stores", "ring"));
    boolean directIo = args.has("direct-io");
    for (String store : stores) {
      if (!store.equals("ring") && !store.equals("cache") && !store.equals("cache-lru")) {
        throw new UsageException(
            "ringmoe bench: --stores takes ring, cache and/or cache-lru, not '" + store + "'");
      }
    }

    Path dir =
        args.has("model")
            ? ModelOptions.checkpointDir(args)
            : SyntheticModels.ensure(
                "bench-mixtral-f32", SyntheticModels.benchmarkShape(), DType.F32, 1, err);
    ModelConfig config = ModelConfig.load(dir);
    if ((long) promptTokens + decodeTokens > config.maxPositions()) {
      throw new UsageException(
          "ringmoe bench: prompt plus decode tokens exceed the model's "
              + config.maxPositions()
              + " positions");
    }
    DataType heldType = WeightSizes.weightType(dir, config);
    long heldBytes = config.weightBytes(heldType.width());
    // Validate every budget before the long runs start.
    List<Long> budgetBytes = new ArrayList<>();
    for (String b : budgets) {
      budgetBytes.add(parseBudget(b, heldBytes));
    }

    int[] prompt;
    if (args.has("data") && promptTokens == 1) {
      prompt = new int[] {config.bosTokenId()};
    } else if (args.has("data")) {
      List<int[]> first =
          TokenWindows.fromFile(
              args.path("data"), promptTokens - 1, promptTokens, 1, config.bosTokenId());
      if (first.isEmpty()) {
        throw new UsageException(
            "ringmoe bench: --data "
                + args.path("data")
                + " holds fewer than the "
                + (promptTokens - 1)
                + " tokens a prompt of --prompt-tokens "
                + promptTokens
                + " takes after BOS");
      }
      prompt = first.get(0);
    } else {
      prompt = new SplittableRandom(7).ints(promptTokens, 3, config.vocabSize()).toArray();
    }
    Path jsonFile = args.has("json") ? args.path("json") : null;
    Path plotFile = args.has("plot") ? args.path("plot") : null;
    if (plotFile != null) {
      System.setProperty("java.awt.headless", "true"); // before anything touches AWT
    }
    Optional<Double> loadAtStart = MachineLoad.loadAverage();
    Optional<MachineLoad.Sample> loadStart = MachineLoad.sample();
    int threads = Runtime.getRuntime().availableProcessors();
    err.printf("measuring memory read bandwidth (%d threads, 1 GiB)...%n", threads);
    MemoryBandwidth.Result measured = MemoryBandwidth.measure(threads, 5);
    double bandwidth = measured.best();
    int[][] replayed = new int[1][];
    Predictors.RunSequence run =
        () -> {
          // What the oracle replays: the resident model's greedy generation from the prompt, run
          // once for all rows.
          if (replayed[0] == null) {
            try (TokenGenerator resident = open(MoeModel.builder().checkpoint(dir), config)) {
              replayed[0] =
                  resident
                      .generate(
                          prompt,
                          GenerationOptions.builder()
                              .maxNewTokens(decodeTokens)
                              .stopAtEos(false)
                              .build())
                      .allIds();
            }
          }
          return replayed[0];
        };
    // The resident run's routing, recorded once: what the oracle replays and what Belady's MIN runs
    // over.
    TraceSequence[] routing = new TraceSequence[1];
    RoutingSource recorded =
        () -> {
          if (routing[0] == null) {
            routing[0] = Predictors.record(dir, run.ids());
          }
          return routing[0];
        };

    List<BenchRow> rows = new ArrayList<>();
    BenchRow residentRow =
        measure(
            "resident",
            MoeModel.builder().checkpoint(dir),
            config,
            prompt,
            decodeTokens,
            repeats,
            err);
    residentRow.store = "resident";
    rows.add(residentRow);
    for (int i = 0; i < budgets.size(); i++) {
      for (String store : stores) {
        for (String policy : policies) {
          MoeModel.Builder b =
              MoeModel.builder()
                  .checkpoint(dir)
                  .deviceMemory(budgetBytes.get(i))
                  .ringSlots(slots)
                  .expertCache(store.startsWith("cache"))
                  .eviction(store.equals("cache-lru") ? Eviction.LRU : Eviction.LFU)
                  .storage(directIo ? Storage.DIRECT : Storage.MAPPED)
                  // The budget holds the KV cache of this run's sequence, not of the default
                  // context, so that the rows compare weights placement at the stated budget.
                  .kvPositions(prompt.length + decodeTokens);
          if (policy.equals("oracle")) {
            b.prefetch(Prefetch.LOOKAHEAD)
                .predictor(OraclePredictor.replay(recorded.trace(), config.topK()));
          } else if (policy.contains(":")) {
            b.prefetch(Prefetch.LOOKAHEAD)
                .predictor(Predictors.runtime(policy, dir, "ringmoe bench", run));
            if (mode.equals("sida") && policy.startsWith("sida:")) {
              b.routingMode(RoutingMode.SIDA);
            }
          } else {
            b.prefetch(ModelOptions.prefetch(policy, "ringmoe bench"));
          }
          String name =
              budgets.get(i)
                  + (stores.size() > 1 ? " " + store : "")
                  + " "
                  + shortName(policy)
                  + (mode.equals("sida") && policy.startsWith("sida:") ? " (sida mode)" : "");
          BenchRow row = measure(name, b, config, prompt, decodeTokens, repeats, err);
          row.store = store;
          row.budget = budgets.get(i);
          row.budgetBytes = budgetBytes.get(i);
          row.policy = policy;
          rows.add(row);
        }
      }
    }

    Optional<MachineLoad.Interval> load =
        loadStart.flatMap(
            start -> MachineLoad.sample().flatMap(end -> MachineLoad.Interval.between(start, end)));
    long expertStorageBytes = expertStorageBytes(dir, config);
    BeladyCache belady = null;
    for (BenchRow r : rows) {
      if (r.stats != null && expertStorageBytes > 0) {
        r.unusedPrefetchFraction =
            r.stats.storageBytesRead() == 0
                ? 0
                : r.stats.prefetchUnused()
                    * (double) expertStorageBytes
                    / r.stats.storageBytesRead();
      }
      // Belady's MIN replays the decoder-only trace; an encoder-decoder's traces cover its encoder
      if (r.store != null
          && r.store.startsWith("cache")
          && r.stats != null
          && expertStorageBytes > 0
          && config.encoderDecoder() == null) {
        if (belady == null) {
          belady =
              decodeAccesses(recorded.trace(), config.topK(), prompt.length, decodeTokens, repeats);
        }
        long steps = (long) repeats * (decodeTokens - 1);
        r.beladyBytesPerToken =
            belady.misses(r.stats.slots()) * (double) expertStorageBytes / steps;
      }
    }

    long idealBytes =
        (long) heldType.width()
            * config.moeLayers().length
            * config.topK()
            * config.expertParameters();
    long bytesPerToken = decodeBytesPerToken(config, heldType.width());
    double roofline = bandwidth / bytesPerToken;
    out.printf(Locale.ROOT, "model                      %s%n", config);
    out.printf(
        Locale.ROOT,
        "checkpoint                 %s (%s weights %.1f MB)%n",
        dir,
        WeightSizes.name(heldType),
        heldBytes / 1e6);
    out.printf(Locale.ROOT, "matrix products            %s%n", Tensors.kernels());
    out.printf(
        Locale.ROOT,
        "KV cache per token         %d bytes (float32%s)%n",
        config.kvCacheBytesPerToken(),
        config.mla() != null ? "; MLA keeps the compressed kv and the rotary key part" : "");
    out.printf(
        Locale.ROOT,
        "memory read bandwidth      %.1f GB/s (best of: Java read %.1f GB/s with %d threads,"
            + " ND4J matrix-vector over 1 GiB %.1f GB/s)%n",
        bandwidth / 1e9,
        measured.javaRead() / 1e9,
        threads,
        measured.nd4jGemv() / 1e9);
    out.printf(
        Locale.ROOT,
        "weights read per decode    %.1f MB (dense + top-%d experts + LM head, %s)%n",
        bytesPerToken / 1e6,
        config.topK(),
        WeightSizes.name(heldType));
    out.printf(Locale.ROOT, "decode roofline            %.1f tok/s%n", roofline);
    out.printf(
        Locale.ROOT,
        "prefill (%d tokens)        %.1f tok/s (median of %d)%n",
        promptTokens,
        rows.get(0).prefill,
        repeats);
    out.printf(
        Locale.ROOT,
        "decode (%d tokens)         %.1f tok/s (median of %d)%n",
        decodeTokens,
        rows.get(0).decode,
        repeats);
    out.printf(Locale.ROOT, "decode / roofline          %.2f%n", rows.get(0).decode / roofline);
    if (rows.size() > 1) {
      out.println();
      out.printf(
          Locale.ROOT,
          "ideal bytes per decode token: %.2f MB (the %d x %d experts the router chooses,"
              + " %s)%n",
          idealBytes / 1e6,
          config.moeLayers().length,
          config.topK(),
          WeightSizes.name(heldType));
      out.printf(
          Locale.ROOT,
          "%-30s %3s %12s %12s %8s %13s %8s %13s %9s %9s %9s %14s %9s %10s%n",
          "configuration",
          "K",
          "prefill t/s",
          "decode t/s",
          "stall %",
          "MB moved/tok",
          "x ideal",
          "read MB/tok",
          "x Belady",
          "hit %",
          "unused %",
          "peak device MB",
          "RSS +MB",
          "cache +MB");
      for (BenchRow r : rows) {
        boolean ring = r.stats != null;
        out.printf(
            Locale.ROOT,
            "%-30s %3s %12.1f %12.2f %8s %13s %8s %13s %9s %9s %9s %14s %9s %10s%n",
            r.name,
            ring ? String.valueOf(r.stats.slots()) : "-",
            r.prefill,
            r.decode,
            ring ? fixed(100 * r.decodeStall, 1) : "-",
            ring ? fixed(r.deviceBytesPerToken / 1e6, 2) : "0",
            ring ? fixed(r.deviceBytesPerToken / idealBytes, 2) : "-",
            ring ? fixed(r.storageBytesPerToken / 1e6, 2) : "0",
            fixed(r.overBelady(), 2),
            ring ? fixed(100 * r.stats.hitRate(), 1) : "-",
            fixed(100 * r.unusedPrefetchFraction, 1),
            ring ? fixed(r.stats.peakDeviceBytes() / 1e6, 1) : "-",
            r.rssGrowth < 0 ? "n/a" : fixed(r.rssGrowth / 1e6, 1),
            r.pageCacheGrowth < 0 ? "n/a" : fixed(r.pageCacheGrowth / 1e6, 1));
      }
    }
    out.println();
    out.print(MachineLoad.report(load, loadAtStart));

    if (jsonFile != null) {
      JsonObject model = new JsonObject();
      model.addProperty("checkpoint", dir.toString());
      model.addProperty("config", config.toString());
      model.addProperty("float32_weight_bytes", config.float32WeightBytes());
      model.addProperty("decode_weight_bytes_per_token", bytesPerToken);
      model.addProperty("ideal_expert_bytes_per_decode_token", idealBytes);
      model.add("expert_storage_bytes", BenchReport.size(expertStorageBytes));
      JsonObject settings = new JsonObject();
      settings.addProperty("prompt_tokens", prompt.length);
      settings.addProperty("decode_tokens", decodeTokens);
      settings.addProperty("repeats", repeats);
      settings.addProperty("ring_slots", slots);
      settings.addProperty("mode", mode);
      JsonObject machine = new JsonObject();
      machine.addProperty("cpu_model", MachineLoad.cpuModel().orElse(null));
      machine.addProperty("cores", threads);
      machine.addProperty("memory_read_bytes_per_s", bandwidth);
      machine.addProperty("java_read_bytes_per_s", measured.javaRead());
      machine.addProperty("nd4j_gemv_bytes_per_s", measured.nd4jGemv());
      machine.add("idle_check", BenchReport.idle(load, loadAtStart));
      BenchReport.write(jsonFile, BenchReport.document(model, settings, machine, roofline, rows));
      err.printf("wrote %s%n", jsonFile);
    }
    if (plotFile != null) {
      BenchPlot.write(
          plotFile,
          rows,
          "ringmoe bench " + dir.getFileName(),
          expertStorageBytes < 0
              ? -1
              : (double) config.moeLayers().length * config.topK() * expertStorageBytes);
      err.printf("wrote %s%n", plotFile);
    }
    return 0;
  }

  /** The resident run's routing, recorded when first asked for. */
  @FunctionalInterface
  private interface RoutingSource {
    TraceSequence trace() throws IOException;
  }

  /**
   * The expert accesses of a bench row in the order its runs make them: the warm-up run (prefill
   * and {@code min(8, decodeTokens) - 1} decode steps), then {@code repeats} full runs (prefill,
   * then decode steps); only the full runs' decode steps count, as in the row's bytes per decode
   * token (counted from each run's first generated token to its end). A prefill is one step per
   * routing layer with every expert any prompt token chose; a decode step is one token's top-k per
   * layer (the prompt's last token is prefill's, the last generated one is never run).
   */
  static BeladyCache decodeAccesses(
      TraceSequence trace, int topK, int promptTokens, int decodeTokens, int repeats) {
    BeladyCache c = new BeladyCache();
    prefillAccesses(c, trace, topK, promptTokens);
    decodeSteps(c, false, trace, topK, promptTokens, Math.min(8, decodeTokens));
    for (int r = 0; r < repeats; r++) {
      prefillAccesses(c, trace, topK, promptTokens);
      decodeSteps(c, true, trace, topK, promptTokens, decodeTokens);
    }
    return c;
  }

  private static void prefillAccesses(
      BeladyCache c, TraceSequence trace, int topK, int promptTokens) {
    for (int l = 0; l < trace.layers(); l++) {
      java.util.BitSet used = new java.util.BitSet(trace.experts());
      for (int t = 0; t < promptTokens; t++) {
        for (int e :
            VectorMath.topK(
                trace.routerLogits(), trace.logitsOffset(t, l), trace.experts(), topK)) {
          used.set(e);
        }
      }
      c.access(false, l, used.stream().toArray());
    }
  }

  private static void decodeSteps(
      BeladyCache c, boolean counted, TraceSequence trace, int topK, int promptTokens, int tokens) {
    for (int t = promptTokens; t < promptTokens + tokens - 1; t++) {
      for (int l = 0; l < trace.layers(); l++) {
        c.access(
            counted,
            l,
            VectorMath.topK(trace.routerLogits(), trace.logitsOffset(t, l), trace.experts(), topK));
      }
    }
  }

  /** Bytes one expert occupies in the checkpoint (its stored dtype); -1 for a dense model. */
  private static long expertStorageBytes(Path dir, ModelConfig config) throws IOException {
    if (config.moeLayers().length == 0) {
      return -1;
    }
    try (Checkpoint checkpoint = Checkpoint.open(dir);
        TensorReader reader = new MappedTensorReader(checkpoint)) {
      long n = 0;
      List<TensorEntry> expert = config.manifest().expert(config.moeLayers()[0], 0).tensors();
      // an expert stored as part of stacked tensors (gpt-oss) reads only its ranges: read them once
      // and count what was read
      Tensors.SliceReads slices = Tensors.sliceReads(reader, checkpoint, expert);
      for (TensorEntry t : expert) {
        if (t.slice() == null) {
          n += checkpoint.find(t.name()).map(i -> i.byteSize()).orElse(0L);
        } else if (t.onHeap()) {
          slices.read(t, new float[Math.toIntExact(t.elements())]);
        } else {
          slices.load(t, org.nd4j.linalg.api.buffer.DataType.FLOAT).close();
        }
      }
      return n + slices.bytesRead();
    }
  }

  /** {@code v} with {@code decimals} decimals, or "-" where not measured. */
  private static String fixed(double v, int decimals) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
  }

  private static BenchRow measure(
      String name,
      MoeModel.Builder builder,
      ModelConfig config,
      int[] prompt,
      int decodeTokens,
      int repeats,
      PrintStream err)
      throws IOException {
    err.printf("%s: loading...%n", name);
    System.gc();
    long rssBefore = ProcessMemory.resident();
    long cacheBefore = ProcessMemory.pageCache();
    long cachePeak = cacheBefore;
    boolean peakReset = ProcessMemory.resetPeak();
    BenchRow row = new BenchRow();
    row.name = name;
    try (TokenGenerator model = open(builder, config)) {
      GenerationOptions full =
          GenerationOptions.builder().maxNewTokens(decodeTokens).stopAtEos(false).build();
      model.generate(
          prompt,
          GenerationOptions.builder()
              .maxNewTokens(Math.min(8, decodeTokens))
              .stopAtEos(false)
              .build());
      double[] prefill = new double[repeats];
      double[] decode = new double[repeats];
      // What decode alone moved and waited for: each run's counters from its first generated token
      // (prefill done, the decode steps not started) to its end.
      long decodeDevice = 0;
      long decodeStorage = 0;
      long decodeHost = 0;
      long decodeStall = 0;
      long decodeCompute = 0;
      model.resetStats();
      for (int i = 0; i < repeats; i++) {
        RingStats[] afterPrefill = new RingStats[1];
        TokenListener atFirstToken =
            (id, text) -> {
              if (afterPrefill[0] == null) {
                afterPrefill[0] = model.ringStats().orElse(null);
              }
            };
        GenerationResult r = model.generate(prompt, full, atFirstToken);
        RingStats end = model.ringStats().orElse(null);
        if (end != null && afterPrefill[0] != null) {
          RingStats p = afterPrefill[0];
          decodeDevice += end.deviceBytesWritten() - p.deviceBytesWritten();
          decodeStorage += end.storageBytesRead() - p.storageBytesRead();
          decodeHost += end.hostBytesStaged() - p.hostBytesStaged();
          decodeStall += end.stallNanos() - p.stallNanos();
          decodeCompute += end.computeNanos() - p.computeNanos();
        }
        prefill[i] = r.prefillTokensPerSecond();
        decode[i] = r.decodeTokensPerSecond();
        cachePeak = Math.max(cachePeak, ProcessMemory.pageCache());
        err.printf(
            "  run %d: prefill %.1f tok/s, decode %.2f tok/s%n", i + 1, prefill[i], decode[i]);
      }
      row.prefill = median(prefill);
      row.decode = median(decode);
      row.stats = model.ringStats().orElse(null);
      if (row.stats != null) {
        long steps = (long) repeats * (decodeTokens - 1);
        row.deviceBytesPerToken = decodeDevice / (double) steps;
        row.storageBytesPerToken = decodeStorage / (double) steps;
        row.hostBytesPerToken = decodeHost / (double) steps;
        row.decodeStall = decodeCompute <= 0 ? 0 : decodeStall / (double) decodeCompute;
        err.printf("  %s%n", row.stats);
      }
      long peak = peakReset ? ProcessMemory.peak() : ProcessMemory.resident();
      row.peakRss = peak;
      row.rssGrowth = rssBefore < 0 || peak < 0 ? -1 : peak - rssBefore;
      cachePeak = Math.max(cachePeak, ProcessMemory.pageCache());
      row.pageCacheGrowth = cacheBefore < 0 || cachePeak < 0 ? -1 : cachePeak - cacheBefore;
    }
    return row;
  }

  /**
   * What a bench row runs: a decoder-only {@link MoeModel} generating from the prompt, or an
   * encoder-decoder encoding the prompt and generating from {@code decoder_start_token_id} (its
   * prefill is the encoder pass plus the first decoder step).
   */
  private static TokenGenerator open(MoeModel.Builder builder, ModelConfig config)
      throws IOException {
    return config.encoderDecoder() != null ? builder.buildEncoderDecoder() : builder.build();
  }

  /** A predictor spec without its file's directory, for the table. */
  private static String shortName(String policy) {
    int colon = policy.indexOf(':');
    return colon < 0
        ? policy
        : policy.substring(0, colon + 1) + Path.of(policy.substring(colon + 1)).getFileName();
  }

  static long parseBudget(String text, long weightBytes) {
    String t = text.trim();
    if (t.endsWith("%")) {
      double percent;
      try {
        percent = Double.parseDouble(t.substring(0, t.length() - 1));
      } catch (NumberFormatException e) {
        throw new UsageException(
            "ringmoe bench: budget '" + text + "' is neither a size nor a percentage");
      }
      if (!(percent > 0 && percent <= 100)) {
        throw new UsageException(
            "ringmoe bench: budget percentage must be in (0, 100], was " + text);
      }
      return (long) Math.floor(percent / 100 * weightBytes);
    }
    try {
      return Args.parseBytes(t);
    } catch (IllegalArgumentException e) {
      throw new UsageException("ringmoe bench: budget " + e.getMessage());
    }
  }

  private static List<String> split(String list) {
    List<String> out = new ArrayList<>();
    for (String s : list.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    if (out.isEmpty()) {
      throw new UsageException("ringmoe bench: empty list '" + list + "'");
    }
    return out;
  }

  /**
   * Float32 weight bytes one decode token reads: every layer's dense section, top-k experts per
   * sparse layer, the embedding row, final norm and LM head.
   */
  static long decodeBytesPerToken(ModelConfig c, int width) {
    long h = c.hiddenSize();
    long n = 0;
    for (int l = 0; l < c.layers(); l++) {
      n +=
          c.manifest().dense(l).parameters()
              + (c.isMoeLayer(l) ? c.topK() * c.expertParameters() : 0);
    }
    return width * (n + (long) c.vocabSize() * h + h + h);
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
