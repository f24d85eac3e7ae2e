package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.chat.ChatMessage;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.chat.ChatTemplateException;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code ringmoe chat}: an interactive conversation. Each line read is a user turn; the history is
 * rendered with the checkpoint's chat template (with the generation prompt), encoded without added
 * special tokens (the rendering holds them), and the reply is printed as it is generated, then kept
 * as the assistant turn. {@code /exit} or the end of input ends the session, {@code /reset} clears
 * the history (the system message stays).
 *
 * <p>A template that refuses the conversation ({@code raise_exception}, for example when roles must
 * alternate) or a conversation beyond the model's positions drops that user turn with a message and
 * the session goes on.
 */
final class ChatCommand implements Command {
  static final String EXIT = "/exit";
  static final String RESET = "/reset";
  static final int DEFAULT_MAX_NEW_TOKENS = 256;

  @Override
  public String name() {
    return "chat";
  }

  @Override
  public String summary() {
    return "chat interactively with the checkpoint's chat template, streaming each reply";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe chat --model DIR [--system TEXT] [--max-new-tokens N]\n"
        + "                    [--greedy | --temperature T [--top-k K] [--top-p P] [--seed S]]\n"
        + "                    [--device-memory SIZE|P% [--ring-slots K | --expert-cache] [--prefetch POLICY] [--direct-io]]\n\n"
        + "Reads user turns from standard input, one per line, and prints each reply as it is generated. The\n"
        + "conversation is rendered with the checkpoint's chat template (tokenizer_config.json's chat_template, or\n"
        + "chat_template.jinja) each turn. Commands: /reset clears the history, /exit (or end of input) ends.\n\n"
        + ModelOptions.USAGE
        + "  --system TEXT         a system message that opens the conversation\n"
        + "  --max-new-tokens N    tokens per reply at most (default 256); a reply also ends at EOS\n"
        + "  --greedy, --temperature, --top-k, --top-p, --seed   as for generate (default greedy)\n";
  }

  /** generate's options (the model's and the generation controls) less the prompt, plus system. */
  @Override
  public Set<String> valuedOptions() {
    Set<String> v = new HashSet<>(new GenerateCommand().valuedOptions());
    v.remove("prompt");
    v.add("system");
    return v;
  }

  @Override
  public Set<String> repeatableOptions() {
    return new GenerateCommand().repeatableOptions();
  }

  @Override
  public Set<String> flags() {
    Set<String> f = new HashSet<>(new GenerateCommand().flags());
    f.remove("chat");
    return f;
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    return run(args, System.in, out, err);
  }

  @Override
  public int run(Args args, InputStream in, PrintStream out, PrintStream err) throws Exception {
    GenerationOptions options = GenerateCommand.options(args, DEFAULT_MAX_NEW_TOKENS);
    ChatTemplate template = template(ModelOptions.checkpointDir(args));
    try (MoeModel model =
        ModelOptions.builder(args, "ringmoe chat").requireTokenizer(true).build()) {
      Conversation conversation =
          new Conversation(template, model.tokenizer(), args.string("system", null));
      BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      err.println("[chat: " + template.origin() + "; /reset clears the history, /exit ends]");
      while (true) {
        err.print("> ");
        err.flush();
        String line = lines.readLine();
        if (line == null) {
          err.println(); // end of input: finish the prompt's line
          break;
        }
        if (line.strip().equals(EXIT)) {
          break;
        }
        if (line.strip().equals(RESET)) {
          conversation.reset();
          err.println("[history cleared]");
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        int[] ids;
        try {
          ids = conversation.userTurn(line);
        } catch (ChatTemplateException e) {
          err.println("ringmoe chat: " + RingMoeCli.oneLine(e.getMessage()) + " (turn dropped)");
          continue;
        }
        GenerationResult r;
        try {
          r = model.generate(ids, options, (id, text) -> print(out, text));
        } catch (IllegalArgumentException e) {
          // the conversation outgrew the model's positions: say so and let the user /reset
          conversation.dropUserTurn();
          err.println(
              "ringmoe chat: " + RingMoeCli.oneLine(e.getMessage()) + " (turn dropped; /reset)");
          continue;
        }
        out.println();
        out.flush();
        conversation.assistantTurn(r.text());
        err.printf(
            "[%d prompt tokens, %d generated (%s)]%n",
            r.promptIds().length, r.generatedIds().length, r.stopReason());
      }
      ModelOptions.report(args, model, err);
    }
    return 0;
  }

  private static void print(PrintStream out, String text) {
    out.print(text);
    out.flush();
  }

  /**
   * The checkpoint's chat template.
   *
   * @throws IllegalArgumentException naming the directory when it has none
   */
  static ChatTemplate template(Path dir) throws IOException {
    return ChatTemplate.fromCheckpoint(dir)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    dir
                        + " has no chat template (neither tokenizer_config.json's chat_template nor"
                        + " chat_template.jinja): use generate --prompt for plain text"));
  }

  /**
   * The history of one chat and its rendering. Not thread-safe: one session reads one input.
   *
   * <p>Each turn renders the whole history with the generation prompt and encodes it without added
   * special tokens, as transformers' {@code apply_chat_template(tokenize=True)} does.
   */
  static final class Conversation {
    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final String system;
    private final List<ChatMessage> messages = new ArrayList<>();

    Conversation(ChatTemplate template, Tokenizer tokenizer, String system) {
      this.template = template;
      this.tokenizer = tokenizer;
      this.system = system;
      reset();
    }

    void reset() {
      messages.clear();
      if (system != null) {
        messages.add(ChatMessage.system(system));
      }
    }

    /**
     * Adds a user turn and returns the prompt ids for the reply.
     *
     * @throws ChatTemplateException if the template refuses the conversation; the turn is not kept
     */
    int[] userTurn(String text) {
      messages.add(ChatMessage.user(text));
      String rendered;
      try {
        rendered = template.render(List.copyOf(messages), true);
      } catch (RuntimeException e) {
        dropUserTurn();
        throw e;
      }
      return tokenizer.encode(rendered, false);
    }

    void dropUserTurn() {
      messages.remove(messages.size() - 1);
    }

    void assistantTurn(String text) {
      messages.add(ChatMessage.assistant(text));
    }
  }
}
