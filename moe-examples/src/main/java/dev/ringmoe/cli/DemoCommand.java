package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code ringmoe demo}: the main job end to end on a checkpoint it synthesizes and caches. It
 * generates twice from the same prompt: with every weight resident, and through the ring under a
 * device budget of 30% of the model's float32 weights, then shows that both produced the same
 * tokens and what the ring moved and waited for.
 */
final class DemoCommand implements Command {
  static final String PROMPT = "The quick brown fox jumps over the lazy dog.";

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "generate with a model 3x larger than its device budget, beside the all-resident run";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe demo [--max-new-tokens N] [--device-memory P%]\n\n"
        + "Synthesizes a random-weight bf16 Mixtral checkpoint (8 layers, hidden 512, 8 experts top-2; about 350 MB,\n"
        + "700 MB as float32) into $RINGMOE_CACHE (default ~/.cache/ringmoe) the first time. Then generates greedily\n"
        + "with every weight resident, and again through the ring with a device budget of 30% of the float32 weights\n"
        + "(--device-memory), printing tokens as they come, the two speeds, the ring's statistics, and whether both\n"
        + "runs produced the same tokens. Random weights make random text.\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("max-new-tokens", "device-memory");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int maxNew = args.integer("max-new-tokens", 24);
    if (maxNew < 1) {
      throw new UsageException("ringmoe demo: --max-new-tokens must be >= 1");
    }
    String budgetText = args.string("device-memory", "30%");
    Path dir =
        SyntheticModels.ensure(
            "demo-mixtral-bf16", SyntheticModels.benchmarkShape(), DType.BF16, 1234, err);
    ModelConfig config = ModelConfig.load(dir);
    DataType heldType = WeightSizes.weightType(dir, config);
    long weightBytes = config.weightBytes(heldType.width());
    long budget = BenchCommand.parseBudget(budgetText, weightBytes);
    GenerationOptions options =
        GenerationOptions.builder().maxNewTokens(maxNew).stopAtEos(false).build();
    out.printf(
        Locale.ROOT,
        "model: %s%n       %s, %s weights %.0f MB%n%n",
        config,
        dir,
        WeightSizes.name(heldType),
        weightBytes / 1e6);

    out.println("1) every weight resident");
    GenerationResult resident;
    try (MoeModel model = MoeModel.builder().checkpoint(dir).requireTokenizer(true).build()) {
      resident = generate(model, options, out);
    }

    out.printf(
        Locale.ROOT,
        "%n2) through the ring: device budget %.0f MB (%s of the weights), prefetch lookahead%n",
        budget / 1e6,
        budgetText);
    GenerationResult ring;
    RingStats stats;
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .requireTokenizer(true)
            .deviceMemory(budget)
            .prefetch(Prefetch.LOOKAHEAD)
            .build()) {
      ring = generate(model, options, out);
      stats = model.ringStats().orElseThrow();
    }
    out.printf(Locale.ROOT, "%n%s%n", stats);
    out.printf(
        Locale.ROOT,
        "peak device memory %.0f MB for a %.0f MB model (%.1fx larger than the budget)%n",
        stats.peakDeviceBytes() / 1e6,
        weightBytes / 1e6,
        weightBytes / (double) budget);
    boolean same = Arrays.equals(resident.generatedIds(), ring.generatedIds());
    out.printf(Locale.ROOT, "same tokens as the resident run: %s%n", same ? "yes" : "NO");
    return same ? 0 : 1;
  }

  private static GenerationResult generate(
      MoeModel model, GenerationOptions options, PrintStream out) throws java.io.IOException {
    out.print("   " + PROMPT);
    out.flush();
    GenerationResult r =
        model.generate(
            PROMPT,
            options,
            (id, text) -> {
              out.print(text);
              out.flush();
            });
    out.printf(
        Locale.ROOT,
        "%n   %d prompt tokens, %d generated; prefill %.1f tok/s, decode %.1f tok/s%n",
        r.promptIds().length,
        r.generatedIds().length,
        r.prefillTokensPerSecond(),
        r.decodeTokensPerSecond());
    return r;
  }
}
