package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ringmoe demo}: the main job end to end on a checkpoint it synthesizes and caches: load a sharded bfloat16
 * Mixtral checkpoint, generate from a prompt while streaming tokens, and report speed.
 */
final class DemoCommand implements Command {
  static final String PROMPT = "The quick brown fox jumps over the lazy dog.";

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "synthesize (once, cached) a Mixtral checkpoint and generate with it";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe demo [--max-new-tokens N]\n\n"
        + "Synthesizes a random-weight bf16 Mixtral checkpoint (8 layers, hidden 512, 8 experts top-2; about 350 MB)\n"
        + "into $RINGMOE_CACHE (default ~/.cache/ringmoe) the first time, then loads it and generates greedily,\n"
        + "printing tokens as they come and the prefill and decode speed. Random weights make random text.\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("max-new-tokens");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int maxNew = args.integer("max-new-tokens", 32);
    if (maxNew < 1) {
      throw new UsageException("ringmoe demo: --max-new-tokens must be >= 1");
    }
    Path dir = SyntheticModels.ensure("demo-mixtral-bf16", SyntheticModels.benchmarkShape(), DType.BF16, 1234, err);
    long start = System.nanoTime();
    try (MoeModel model = MoeModel.builder().checkpoint(dir).requireTokenizer(true).build()) {
      out.printf("model: %s%nloaded from %s in %.1f s%n%n", model.config(), dir, (System.nanoTime() - start) / 1e9);
      out.print(PROMPT);
      out.flush();
      GenerationResult r = model.generate(PROMPT,
          GenerationOptions.builder().maxNewTokens(maxNew).stopAtEos(false).build(), (id, text) -> {
            out.print(text);
            out.flush();
          });
      out.printf("%n%n%d prompt tokens, %d generated; prefill %.1f tok/s, decode %.1f tok/s%n",
          r.promptIds().length, r.generatedIds().length, r.prefillTokensPerSecond(), r.decodeTokensPerSecond());
    }
    return 0;
  }
}
