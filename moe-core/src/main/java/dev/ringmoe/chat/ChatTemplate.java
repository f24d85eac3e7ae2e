package dev.ringmoe.chat;

import dev.ringmoe.chat.jinja.JinjaException;
import dev.ringmoe.chat.jinja.Template;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A checkpoint's Hugging Face chat template, parsed once and rendered for any conversation the way
 * transformers' {@code apply_chat_template(..., tokenize=False)} renders it.
 *
 * <p>The environment is the one transformers builds: trim_blocks and lstrip_blocks on, a single
 * trailing newline of the source dropped, Jinja's default undefined (falsy, renders empty), {@code
 * tojson} as Python's {@code json.dumps(ensure_ascii=False)}, the globals {@code
 * raise_exception(msg)} and {@code strftime_now(fmt)}, and the loop controls {@code break} and
 * {@code continue}. Parsing refuses what the engine does not support, naming the construct and
 * line, so a template that parses renders or fails with a {@link ChatTemplateException}; it never
 * silently renders something else.
 *
 * <p>Immutable and thread-safe: one instance may render from many threads at once. Rendered text
 * already holds the template's special tokens, so encode it without adding special tokens.
 */
public final class ChatTemplate {

  private static final java.util.Set<String> RESERVED =
      java.util.Set.of("messages", "tools", "documents", "add_generation_prompt");

  private final String source;
  private final String origin;
  private final Template template;
  private final Map<String, Object> specialTokens;
  private final Clock clock;

  private ChatTemplate(
      String source,
      String origin,
      Template template,
      Map<String, Object> specialTokens,
      Clock clock) {
    this.source = source;
    this.template = template;
    this.origin = origin;
    this.specialTokens = specialTokens;
    this.clock = clock;
  }

  /**
   * Reads a checkpoint's chat template as transformers does: {@code chat_template.jinja} when the
   * checkpoint has one (transformers gives that file priority), else {@code
   * tokenizer_config.json}'s {@code chat_template} (a string, or a list of {@code {name, template}}
   * objects of which {@code default} is used); the special tokens ({@code bos_token}, {@code
   * eos_token}, {@code unk_token}, {@code sep_token}, {@code pad_token}, {@code cls_token}, {@code
   * mask_token}; each a string or an AddedToken object {@code {"content": ...}}) from {@code
   * tokenizer_config.json}, falling back to {@code special_tokens_map.json}.
   *
   * @param checkpointDir the checkpoint directory
   * @return the template, or empty when the checkpoint has none
   * @throws IOException if a file exists but cannot be read
   * @throws ChatTemplateException if a file is malformed (naming the file and the problem), or the
   *     template does not parse or uses a construct the engine does not support
   */
  public static Optional<ChatTemplate> fromCheckpoint(Path checkpointDir) throws IOException {
    return CheckpointTemplates.load(checkpointDir);
  }

  /**
   * @param source the template text, exactly as published
   * @param origin where it came from, named in every error (for example {@code chat_template in
   *     tokenizer_config.json})
   * @param specialTokens variables such as {@code bos_token}; values are usually strings
   * @return the parsed template, rendering with the system clock
   * @throws ChatTemplateException on a syntax error or an unsupported construct
   */
  public static ChatTemplate parse(String source, String origin, Map<String, ?> specialTokens) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(origin, "origin");
    @SuppressWarnings("unchecked")
    Map<String, Object> tokens =
        (Map<String, Object>) Values.deepCopy(specialTokens == null ? Map.of() : specialTokens);
    Template t;
    try {
      t = Template.parse(source);
    } catch (JinjaException e) {
      throw new ChatTemplateException(origin, e.getMessage(), false, e);
    }
    return new ChatTemplate(source, origin, t, tokens, Clock.systemDefaultZone());
  }

  /**
   * @param clock the clock {@code strftime_now} reads (its zone gives the local time)
   * @return a copy of this template using that clock
   */
  public ChatTemplate withClock(Clock clock) {
    return new ChatTemplate(
        source, origin, template, specialTokens, Objects.requireNonNull(clock, "clock"));
  }

  /**
   * @param messages the conversation
   * @param addGenerationPrompt whether to end with the assistant turn's opening
   * @return the rendered prompt
   * @throws ChatTemplateException if the template raises or fails
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, null, addGenerationPrompt, Map.of());
  }

  /**
   * @param messages the conversation
   * @param tools tool (function) definitions as JSON-like maps, or null for none
   * @param addGenerationPrompt whether to end with the assistant turn's opening
   * @param extraVariables further template variables (for example {@code enable_thinking}); they
   *     override the special tokens of the same name
   * @return the rendered prompt
   * @throws ChatTemplateException if the template raises or fails
   * @throws IllegalArgumentException if {@code extraVariables} names {@code messages}, {@code
   *     tools}, {@code documents} or {@code add_generation_prompt} (transformers refuses that too),
   *     or a value is not JSON-like
   */
  public String render(
      List<ChatMessage> messages,
      List<Map<String, ?>> tools,
      boolean addGenerationPrompt,
      Map<String, ?> extraVariables) {
    Objects.requireNonNull(messages, "messages");
    Map<String, Object> vars = new HashMap<>(specialTokens);
    if (extraVariables != null) {
      for (Map.Entry<String, ?> e : extraVariables.entrySet()) {
        if (RESERVED.contains(e.getKey())) {
          throw new IllegalArgumentException(
              "extra chat template variable '" + e.getKey() + "' would replace a standard one");
        }
        vars.put(e.getKey(), Values.deepCopy(e.getValue()));
      }
    }
    List<Object> msgs = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      msgs.add(m.fields());
    }
    vars.put("messages", msgs);
    vars.put("tools", tools == null ? null : Values.deepCopy(tools));
    vars.put("documents", null);
    vars.put("add_generation_prompt", addGenerationPrompt);
    try {
      return template.render(vars, clock);
    } catch (JinjaException e) {
      boolean raised = e.kind() == JinjaException.Kind.RAISED;
      throw new ChatTemplateException(origin, e.getMessage(), raised, e);
    }
  }

  /**
   * @return where the template came from, as named in errors
   */
  public String origin() {
    return origin;
  }

  /**
   * @return the template text
   */
  public String source() {
    return source;
  }
}
