package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.MoeModel;
import dev.ringmoe.chat.ChatMessage;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringmoe chat} driven by a scripted standard input, and {@code generate --chat}, on a
 * synthesized checkpoint given a small Mistral-style chat template (which refuses one word, to show
 * a template's error keeping the session). Every reply is checked against the model generating
 * greedily from the template's rendering of the history the session should have kept.
 */
class ChatCommandTest {
  static final String TEMPLATE =
      "{{ bos_token }}{% for m in messages %}"
          + "{% if m['content'] == 'forbidden' %}{{ raise_exception('no forbidden turns') }}{% endif %}"
          + "{% if m['role'] == 'system' %}<<SYS>>{{ m['content'] }}<</SYS>>"
          + "{% elif m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]"
          + "{% else %}{{ m['content'] }}{{ eos_token }}{% endif %}{% endfor %}";

  static final int MAX_NEW = 6;

  @TempDir Path tmp;

  /** The CLI tests' synthesized checkpoint with {@link #TEMPLATE} in its tokenizer_config.json. */
  static Path withTemplate(Path dir) throws IOException {
    return setTemplate(CliRun.synth(dir), TEMPLATE);
  }

  /** Sets (or with null removes) the checkpoint's chat template, whatever synth wrote. */
  static Path setTemplate(Path dir, String template) throws IOException {
    Path config = dir.resolve("tokenizer_config.json");
    JsonObject o =
        JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8)).getAsJsonObject();
    o.remove("chat_template");
    if (template != null) {
      o.addProperty("chat_template", template);
    }
    Files.writeString(config, o.toString(), StandardCharsets.UTF_8);
    Files.deleteIfExists(dir.resolve("chat_template.jinja"));
    return dir;
  }

  private static String reply(MoeModel model, ChatTemplate template, List<ChatMessage> history)
      throws IOException {
    int[] ids = model.tokenizer().encode(template.render(history, true), false);
    GenerationResult r = model.generate(ids, GenerationOptions.greedy(MAX_NEW));
    return r.text();
  }

  @Test
  void chatKeepsTheHistoryResetsAndSurvivesATemplateError() throws IOException {
    Path dir = withTemplate(tmp.resolve("model"));
    CliRun r =
        CliRun.runWithInput(
            "hello there\nand then?\n/reset\nforbidden\n\nagain\n/exit\nnever read\n",
            "chat",
            "--model",
            dir.toString(),
            "--system",
            "be brief",
            "--max-new-tokens",
            String.valueOf(MAX_NEW));
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("no forbidden turns"), r.err());
    assertTrue(r.err().contains("[history cleared]"), r.err());

    List<String> expected = new ArrayList<>();
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      ChatTemplate template = ChatTemplate.fromCheckpoint(dir).orElseThrow();
      List<ChatMessage> history = new ArrayList<>(List.of(ChatMessage.system("be brief")));
      history.add(ChatMessage.user("hello there"));
      String first = reply(model, template, history);
      history.add(ChatMessage.assistant(first));
      history.add(ChatMessage.user("and then?"));
      String second = reply(model, template, history);
      // after /reset only the system message is left; "forbidden" is refused and not kept
      List<ChatMessage> fresh = List.of(ChatMessage.system("be brief"), ChatMessage.user("again"));
      String third = reply(model, template, fresh);
      expected.addAll(List.of(first, second, third));
      // the second turn saw the first reply: its prompt is longer than a fresh conversation's
      assertTrue(
          model.tokenizer().encode(template.render(history, true), false).length
              > model.tokenizer().encode(template.render(fresh, true), false).length);
    }
    assertEquals(String.join("\n", expected) + "\n", r.out());
    assertEquals(3, r.err().split("generated \\(", -1).length - 1, r.err());
    assertFalse(r.out().contains("never read"));
  }

  @Test
  void infoNamesTheTemplate() throws IOException {
    Path dir = withTemplate(tmp.resolve("model"));
    CliRun r = CliRun.run("info", "--model", dir.toString(), "--json");
    assertEquals(0, r.status(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(
        ChatTemplate.fromCheckpoint(dir).orElseThrow().origin(),
        o.get("chatTemplate").getAsString());
    setTemplate(dir, null);
    r = CliRun.run("info", "--model", dir.toString());
    assertTrue(r.out().contains("chat template  none"), r.out());
  }

  @Test
  void endOfInputEndsTheSession() throws IOException {
    Path dir = withTemplate(tmp.resolve("model"));
    CliRun r =
        CliRun.runWithInput(
            "hi", "chat", "--model", dir.toString(), "--max-new-tokens", String.valueOf(MAX_NEW));
    assertEquals(0, r.status(), r.err());
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      ChatTemplate template = ChatTemplate.fromCheckpoint(dir).orElseThrow();
      assertEquals(reply(model, template, List.of(ChatMessage.user("hi"))) + "\n", r.out());
    }
  }

  @Test
  void generateChatRendersThePromptAsOneUserMessage() throws IOException {
    Path dir = withTemplate(tmp.resolve("model"));
    CliRun r =
        CliRun.run(
            "generate",
            "--model",
            dir.toString(),
            "--prompt",
            "tell me",
            "--chat",
            "--max-new-tokens",
            String.valueOf(MAX_NEW));
    assertEquals(0, r.status(), r.err());
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      ChatTemplate template = ChatTemplate.fromCheckpoint(dir).orElseThrow();
      String rendered = template.render(List.of(ChatMessage.user("tell me")), true);
      assertTrue(rendered.startsWith("<s>[INST] tell me [/INST]"), rendered);
      int[] ids = model.tokenizer().encode(rendered, false);
      assertEquals(reply(model, template, List.of(ChatMessage.user("tell me"))) + "\n", r.out());
      assertTrue(r.err().contains("[" + ids.length + " prompt tokens"), r.err());
    }
  }

  @Test
  void aCheckpointWithoutATemplateIsRefusedNamingTheDirectory() throws IOException {
    Path dir = setTemplate(CliRun.synth(tmp.resolve("plain")), null);
    for (String[] argv :
        List.of(
            new String[] {"chat", "--model", dir.toString()},
            new String[] {"generate", "--model", dir.toString(), "--prompt", "x", "--chat"})) {
      CliRun r = CliRun.runWithInput("hello\n", argv);
      assertEquals(1, r.status(), r.err());
      assertTrue(r.err().contains(dir + " has no chat template"), r.err());
    }
  }

  @Test
  void systemNeedsChat() {
    Path dir = CliRun.synth(tmp.resolve("plain"));
    CliRun r = CliRun.run("generate", "--model", dir.toString(), "--prompt", "x", "--system", "s");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("--system needs --chat"), r.err());
  }
}
