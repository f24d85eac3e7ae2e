package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.chat.ChatMessage;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code ringmoe generate}: prints a continuation of a prompt as it is generated. */
final class GenerateCommand implements Command {
  @Override
  public String name() {
    return "generate";
  }

  @Override
  public String summary() {
    return "continue a prompt, printing tokens as they are generated";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe generate --model DIR --prompt TEXT [--max-new-tokens N]\n"
        + "                        [--greedy | --temperature T [--top-k K] [--top-p P] [--min-p P] [--seed S]]\n"
        + "                        [--stop TEXT] [--repetition-penalty P] [--presence-penalty P] [--frequency-penalty P]\n"
        + "                        [--device-memory SIZE|P% [--ring-slots K | --expert-cache] [--prefetch POLICY] [--direct-io]]\n"
        + "                        [--stats-json FILE]\n\n"
        + ModelOptions.USAGE
        + "  --prompt TEXT         the prompt; BOS is added as the checkpoint's tokenizer says\n"
        + "  --max-new-tokens N    tokens to generate at most, N >= 1 (default 64); stops earlier at EOS or at the\n"
        + "                        model's maximum positions\n"
        + "  --greedy              always take the most likely token (the default)\n"
        + "  --temperature T       sample with temperature T > 0\n"
        + "  --top-k K             sample among the K most likely tokens only\n"
        + "  --top-p P             sample from the smallest set of tokens whose probability reaches P\n"
        + "  --min-p P             sample only among tokens at least P times as likely as the most likely one\n"
        + "                        (after the temperature), P in [0, 1]\n"
        + "  --seed S              seed of the sampler (default 0)\n"
        + "  --stop TEXT           stop when the generated text produces TEXT (not printed); repeat for several\n"
        + "  --repetition-penalty P  divide (multiply, if negative) the logits of tokens already in the prompt or\n"
        + "                        output by P > 0 (Hugging Face's; 1 = off, above 1 discourages repeats)\n"
        + "  --presence-penalty P  subtract P in [-2, 2] from the logits of tokens already generated (OpenAI's)\n"
        + "  --frequency-penalty P subtract P in [-2, 2] times each token's count so far (OpenAI's)\n"
        + "  --chat                the prompt is one user message through the checkpoint's chat template\n"
        + "                        (encoded without added special tokens); prints only the reply\n"
        + "  --system TEXT         with --chat: a system message before it\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return ModelOptions.valuedWith(
        "prompt",
        "max-new-tokens",
        "temperature",
        "top-k",
        "top-p",
        "min-p",
        "seed",
        "stop",
        "repetition-penalty",
        "presence-penalty",
        "frequency-penalty",
        "system");
  }

  @Override
  public Set<String> flags() {
    return Set.of("greedy", "expert-cache", "direct-io", "chat");
  }

  @Override
  public Set<String> repeatableOptions() {
    return Set.of("stop");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    GenerationOptions options = options(args);
    String given = args.required("prompt");
    if (args.has("system") && !args.has("chat")) {
      throw new UsageException("ringmoe generate: --system needs --chat");
    }
    // With --chat the prompt is rendered by the template and encoded without added special tokens
    // (the rendering holds them); otherwise the tokenizer adds them (BOS).
    ChatTemplate template =
        args.has("chat") ? ChatCommand.template(ModelOptions.checkpointDir(args)) : null;
    String prompt =
        template == null
            ? given
            : template.render(
                args.has("system")
                    ? List.of(ChatMessage.system(args.required("system")), ChatMessage.user(given))
                    : List.of(ChatMessage.user(given)),
                true);
    boolean addSpecial = template == null;
    Predictors.RunSequence sequence =
        () -> {
          // The oracle replays this generation's routing: run it once with the weights resident to
          // learn its tokens.
          try (MoeModel resident =
              MoeModel.builder()
                  .checkpoint(ModelOptions.checkpointDir(args))
                  .requireTokenizer(true)
                  .build()) {
            return resident
                .generate(
                    resident.tokenizer().encode(prompt, addSpecial), options, TokenListener.NONE)
                .allIds();
          }
        };
    try (MoeModel model =
        ModelOptions.builder(args, "ringmoe generate", sequence).requireTokenizer(true).build()) {
      if (template == null) {
        out.print(prompt);
        out.flush();
      }
      GenerationResult r =
          model.generate(
              model.tokenizer().encode(prompt, addSpecial),
              options,
              (id, text) -> {
                out.print(text);
                out.flush();
              });
      out.println();
      err.printf(
          "[%d prompt tokens, %d generated (%s); prefill %.1f tok/s, decode %.1f tok/s]%n",
          r.promptIds().length,
          r.generatedIds().length,
          r.stopReason(),
          r.prefillTokensPerSecond(),
          r.decodeTokensPerSecond());
      ModelOptions.report(args, model, err);
    }
    return 0;
  }

  static GenerationOptions options(Args args) {
    return options(args, 64);
  }

  /**
   * As {@link #options(Args)} with {@code defaultMaxNew} when {@code --max-new-tokens} is unset.
   */
  static GenerationOptions options(Args args, int defaultMaxNew) {
    // Checked here, not by the library's builder, so that every bad value is a usage error (exit
    // 2).
    int maxNew = args.integer("max-new-tokens", defaultMaxNew);
    if (maxNew < 1) {
      throw new UsageException("ringmoe generate: --max-new-tokens must be >= 1, was " + maxNew);
    }
    GenerationOptions.Builder b = GenerationOptions.builder().maxNewTokens(maxNew);
    boolean sampling =
        args.has("temperature")
            || args.has("top-k")
            || args.has("top-p")
            || args.has("min-p")
            || args.has("seed");
    if (args.has("greedy") && sampling) {
      throw new UsageException(
          "ringmoe generate: --greedy cannot be combined with sampling options");
    }
    if (args.has("temperature")) {
      double t = args.decimal("temperature", 0);
      if (!(t > 0 && Double.isFinite(t))) {
        throw new UsageException(
            "ringmoe generate: --temperature must be a finite number > 0 (use --greedy for"
                + " greedy decoding), was "
                + args.string("temperature", ""));
      }
      b.temperature(t);
    } else if (sampling) {
      b.temperature(1.0);
    }
    if (args.has("top-k")) {
      int k = args.integer("top-k", 0);
      if (k < 1) {
        throw new UsageException("ringmoe generate: --top-k must be >= 1, was " + k);
      }
      b.topK(k);
    }
    if (args.has("top-p")) {
      double p = args.decimal("top-p", 1);
      if (!(p > 0 && p <= 1)) {
        throw new UsageException(
            "ringmoe generate: --top-p must be in (0, 1], was " + args.string("top-p", ""));
      }
      b.topP(p);
    }
    List<String> stops = args.strings("stop");
    if (stops.contains("")) {
      throw new UsageException("ringmoe generate: --stop needs a non-empty text");
    }
    if (!stops.isEmpty()) {
      b.stop(stops);
    }
    checked("min-p", args, b::minP);
    checked("repetition-penalty", args, b::repetitionPenalty);
    checked("presence-penalty", args, b::presencePenalty);
    checked("frequency-penalty", args, b::frequencyPenalty);
    return b.seed(args.longValue("seed", 0)).build();
  }

  /** Sets a decimal option through the builder, whose refusal becomes a usage error. */
  private static void checked(String option, Args args, java.util.function.DoubleConsumer setter) {
    if (args.has(option)) {
      try {
        setter.accept(args.decimal(option, 0));
      } catch (IllegalArgumentException e) {
        throw new UsageException("ringmoe generate: --" + option + ": " + e.getMessage());
      }
    }
  }
}
