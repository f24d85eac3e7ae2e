package dev.ringmoe.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading templates from checkpoints, refusals, bounds and the rendering variables. */
class ChatTemplateTest {

  private static final String SIMPLE =
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}"
          + "{% if add_generation_prompt %}[assistant]{% endif %}";

  @TempDir Path dir;

  private void write(String file, String text) throws IOException {
    Files.writeString(dir.resolve(file), text, StandardCharsets.UTF_8);
  }

  private static String json(JsonObject o) {
    return new Gson().toJson(o);
  }

  private static ChatTemplate load(Path dir) throws IOException {
    return ChatTemplate.fromCheckpoint(dir).orElseThrow();
  }

  @Test
  void stringFormWithAddedTokenObjects() throws IOException {
    JsonObject cfg = new JsonObject();
    cfg.addProperty("chat_template", SIMPLE);
    JsonObject bos = new JsonObject();
    bos.addProperty("__type", "AddedToken");
    bos.addProperty("content", "<s>");
    bos.addProperty("lstrip", false);
    cfg.add("bos_token", bos);
    cfg.addProperty("eos_token", "</s>");
    cfg.add("pad_token", com.google.gson.JsonNull.INSTANCE);
    write("tokenizer_config.json", json(cfg));
    ChatTemplate t = load(dir);
    assertEquals("chat_template in " + dir.resolve("tokenizer_config.json"), t.origin());
    assertEquals(SIMPLE, t.source());
    assertEquals("<s>[user]Hi</s>[assistant]", t.render(List.of(ChatMessage.user("Hi")), true));
    assertEquals("<s>[user]Hi</s>", t.render(List.of(ChatMessage.user("Hi")), false));
  }

  @Test
  void listFormUsesDefault() throws IOException {
    JsonObject cfg = new JsonObject();
    JsonArray list = new JsonArray();
    for (String[] e :
        new String[][] {{"tool_use", "TOOLS"}, {"default", "DEFAULT {{ messages|length }}"}}) {
      JsonObject o = new JsonObject();
      o.addProperty("name", e[0]);
      o.addProperty("template", e[1]);
      list.add(o);
    }
    cfg.add("chat_template", list);
    write("tokenizer_config.json", json(cfg));
    assertEquals("DEFAULT 1", load(dir).render(List.of(ChatMessage.user("x")), false));
  }

  @Test
  void listWithoutDefaultIsRefusedNamingTheFile() throws IOException {
    write(
        "tokenizer_config.json", "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}");
    ChatTemplateException e =
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromCheckpoint(dir));
    assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
    assertTrue(e.getMessage().contains("[rag] but none named 'default'"), e.getMessage());
  }

  @Test
  void jinjaFileWithSpecialTokensMapFallback() throws IOException {
    write("chat_template.jinja", SIMPLE + "\n");
    write("tokenizer_config.json", "{\"eos_token\": \"<|end|>\"}");
    write(
        "special_tokens_map.json",
        "{\"bos_token\": {\"content\": \"<|begin|>\", \"single_word\": false}, \"eos_token\": \"</s>\"}");
    ChatTemplate t = load(dir);
    assertEquals(dir.resolve("chat_template.jinja").toString(), t.origin());
    // the single trailing newline of the file is dropped, as Jinja does by default
    assertEquals("<|begin|>[user]Hi<|end|>", t.render(List.of(ChatMessage.user("Hi")), false));
  }

  @Test
  void jinjaFileTakesPriorityOverTheConfigEntry() throws IOException {
    write("chat_template.jinja", "FROM FILE");
    write("tokenizer_config.json", "{\"chat_template\": \"FROM CONFIG\"}");
    assertEquals("FROM FILE", load(dir).render(List.of(), false));
  }

  @Test
  void noTemplateIsEmpty() throws IOException {
    assertEquals(Optional.empty(), ChatTemplate.fromCheckpoint(dir));
    write("tokenizer_config.json", "{\"bos_token\": \"<s>\", \"chat_template\": null}");
    assertEquals(Optional.empty(), ChatTemplate.fromCheckpoint(dir));
  }

  @Test
  void malformedFilesAreNamed() throws IOException {
    write("tokenizer_config.json", "{\"chat_template\": \"x\",");
    ChatTemplateException e =
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromCheckpoint(dir));
    assertEquals(dir.resolve("tokenizer_config.json").toString(), e.origin());
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    assertFalse(e.raisedByTemplate());

    write("tokenizer_config.json", "{\"chat_template\": 42}");
    e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromCheckpoint(dir));
    assertTrue(e.getMessage().contains("'chat_template' must be a string"), e.getMessage());

    write("tokenizer_config.json", "{\"chat_template\": \"x\", \"bos_token\": 7}");
    e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromCheckpoint(dir));
    assertTrue(
        e.getMessage().contains("'bos_token' must be a string or an AddedToken"), e.getMessage());

    write("tokenizer_config.json", "{\"chat_template\": \"x\"}");
    write("special_tokens_map.json", "[1, 2]");
    e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromCheckpoint(dir));
    assertEquals(dir.resolve("special_tokens_map.json").toString(), e.origin());
  }

  @Test
  void unsupportedConstructIsRefusedNamingFileConstructAndLine() throws IOException {
    JsonObject cfg = new JsonObject();
    cfg.addProperty(
        "chat_template",
        "{% for m in messages %}\n{{ m.content }}\n{{ m | xmlattr }}\n{% endfor %}");
    write("tokenizer_config.json", json(cfg));
    ChatTemplateException e =
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromCheckpoint(dir));
    assertEquals(
        "chat_template in "
            + dir.resolve("tokenizer_config.json")
            + ": unsupported filter 'xmlattr' at line 3",
        e.getMessage());

    e =
        assertThrows(
            ChatTemplateException.class,
            () -> ChatTemplate.parse("a\n{% include 'other.jinja' %}", "t.jinja", Map.of()));
    assertEquals("t.jinja: unsupported tag 'include' at line 2", e.getMessage());
    e =
        assertThrows(
            ChatTemplateException.class,
            () -> ChatTemplate.parse("{{ x is nosuchtest }}", "t.jinja", Map.of()));
    assertEquals("t.jinja: unsupported test 'nosuchtest' at line 1", e.getMessage());
  }

  @Test
  void syntaxErrorNamesTheLine() {
    ChatTemplateException e =
        assertThrows(
            ChatTemplateException.class,
            () ->
                ChatTemplate.parse(
                    "line 1\n{% if x %}\nline 3\n{{ 1 + }}\n{% endif %}", "t.jinja", Map.of()));
    assertTrue(e.getMessage().startsWith("t.jinja: syntax error at line 4:"), e.getMessage());
    e =
        assertThrows(
            ChatTemplateException.class,
            () ->
                ChatTemplate.parse("\n\n{% for m in messages %}never closed", "t.jinja", Map.of()));
    assertTrue(
        e.getMessage().startsWith("t.jinja: syntax error at line 3: 'for' is never closed"),
        e.getMessage());
  }

  @Test
  void loopAndRecursionBombsAreRefused() {
    ChatTemplate loops =
        ChatTemplate.parse(
            "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}x{% endfor %}"
                + "{% endfor %}{% endfor %}",
            "bomb.jinja", Map.of());
    ChatTemplateException e =
        assertThrows(ChatTemplateException.class, () -> loops.render(List.of(), false));
    assertTrue(e.getMessage().contains("loop iterations"), e.getMessage());

    ChatTemplate recursion =
        ChatTemplate.parse(
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "bomb.jinja", Map.of());
    e = assertThrows(ChatTemplateException.class, () -> recursion.render(List.of(), false));
    assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());

    ChatTemplate doubling =
        ChatTemplate.parse(
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "bomb.jinja", Map.of());
    e = assertThrows(ChatTemplateException.class, () -> doubling.render(List.of(), false));
    assertTrue(e.getMessage().contains("beyond"), e.getMessage());

    StringBuilder deep = new StringBuilder("{{ ");
    deep.append("(".repeat(5000)).append("1").append(")".repeat(5000)).append(" }}");
    e =
        assertThrows(
            ChatTemplateException.class,
            () -> ChatTemplate.parse(deep.toString(), "deep.jinja", Map.of()));
    assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
  }

  @Test
  void raiseExceptionIsTheTemplatesOwnMessage() {
    ChatTemplate t =
        ChatTemplate.parse(
            "{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok",
            "t.jinja", Map.of());
    ChatTemplateException e =
        assertThrows(
            ChatTemplateException.class, () -> t.render(List.of(ChatMessage.system("s")), false));
    assertTrue(e.raisedByTemplate());
    assertEquals("first must be user", e.templateMessage());
    assertEquals("t.jinja: first must be user", e.getMessage());
    assertEquals("ok", t.render(List.of(ChatMessage.user("u")), false));

    ChatTemplate typeError = ChatTemplate.parse("{{ 'a' + messages[0] }}", "t.jinja", Map.of());
    e =
        assertThrows(
            ChatTemplateException.class,
            () -> typeError.render(List.of(ChatMessage.user("u")), false));
    assertFalse(e.raisedByTemplate());
    assertTrue(
        e.getMessage().contains("TypeError: can only concatenate str (not \"dict\") to str"),
        e.getMessage());
  }

  @Test
  void messageFieldsToolsAndExtraVariables() {
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("name", "get_weather");
    call.put("arguments", Map.of("city", "Zürich"));
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("role", "assistant");
    fields.put("content", null);
    fields.put("tool_calls", List.of(Map.of("function", call)));
    ChatMessage m = ChatMessage.fromMap(fields);
    assertEquals(List.of("role", "content", "tool_calls"), List.copyOf(m.fields().keySet()));
    assertEquals(null, m.content());
    ChatTemplate t =
        ChatTemplate.parse(
            "{{ messages[0]|tojson }}|{{ tools|tojson }}|{{ documents }}|{{ enable_thinking }}|{{ bos_token }}",
            "t.jinja",
            Map.of("bos_token", "<s>"));
    String out =
        t.render(
            List.of(m),
            List.of(Map.of("type", "function")),
            false,
            Map.of("enable_thinking", false, "bos_token", "<override>"));
    assertEquals(
        "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"function\": {\"name\": \"get_weather\","
            + " \"arguments\": {\"city\": \"Zürich\"}}}]}|[{\"type\": \"function\"}]|None|False|<override>",
        out);
    assertEquals(
        "null", ChatTemplate.parse("{{ tools|tojson }}", "t", Map.of()).render(List.of(), false));
    assertThrows(
        IllegalArgumentException.class,
        () -> t.render(List.of(), null, false, Map.of("messages", List.of())));
  }

  @Test
  void numbersKeepTheirJsonKind() {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("n", new com.google.gson.internal.LazilyParsedNumber("3"));
    args.put("x", new java.math.BigDecimal("2.50"));
    args.put("i", 7);
    args.put("f", 1.0f);
    ChatMessage m = ChatMessage.fromMap(Map.of("role", "user", "args", args));
    assertEquals(
        "{\"n\": 3, \"x\": 2.5, \"i\": 7, \"f\": 1.0}",
        ChatTemplate.parse("{{ messages[0].args|tojson }}", "t", Map.of())
            .render(List.of(m), false));
  }

  @Test
  void generationTagRendersItsBody() {
    // transformers' AssistantTracker tag marks assistant text for masks; rendering is unchanged
    ChatTemplate t =
        ChatTemplate.parse(
            "{% for m in messages %}{% generation %}<{{ m.content }}>{% endgeneration %}{% endfor %}",
            "t.jinja", Map.of());
    assertEquals(
        "<a><b>", t.render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")), false));
  }

  @Test
  void oneTemplateRendersOnManyThreads() throws Exception {
    ChatTemplate t =
        ChatTemplate.parse(
            "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ m.content }}"
                + "{% endfor %}={{ ns.n }}",
            "t.jinja", Map.of());
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int k = i % 7;
        results.add(
            pool.submit(
                () -> {
                  List<ChatMessage> msgs = new java.util.ArrayList<>();
                  for (int j = 0; j < k; j++) {
                    msgs.add(ChatMessage.user(Integer.toString(j)));
                  }
                  return t.render(msgs, false);
                }));
      }
      for (int i = 0; i < results.size(); i++) {
        int k = i % 7;
        StringBuilder want = new StringBuilder();
        for (int j = 0; j < k; j++) {
          want.append(j);
        }
        assertEquals(want + "=" + k, results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void clockDrivesStrftimeNow() {
    ChatTemplate t =
        ChatTemplate.parse("{{ strftime_now('%d %b %Y') }}", "t", Map.of())
            .withClock(ChatTemplateReferenceTest.FIXED);
    assertEquals("15 Jun 2025", t.render(List.of(), false));
  }

  @Test
  void aPublishedTemplateFromACheckpointMatchesTransformers() throws IOException {
    String qwen =
        Files.readString(
            ChatTemplateReferenceTest.dir().resolve("Qwen-Qwen2.5-7B-Instruct.jinja"),
            StandardCharsets.UTF_8);
    JsonObject cfg = new JsonObject();
    cfg.addProperty("chat_template", qwen);
    cfg.addProperty("eos_token", "<|im_end|>");
    write("tokenizer_config.json", json(cfg));
    String out =
        load(dir)
            .render(
                List.of(
                    ChatMessage.system("You are a helpful assistant."), ChatMessage.user("Hello!")),
                true);
    // expected.json: Qwen-Qwen2.5-7B-Instruct / b_system_user / add_generation_prompt=true
    assertEquals(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\n",
        out);
  }
}
