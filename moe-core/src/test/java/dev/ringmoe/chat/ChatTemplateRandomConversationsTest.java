package dev.ringmoe.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The 14 reference templates over 350 random conversations a client might send (contents of every
 * JSON type, null contents, tool calls with string or object arguments, odd roles, template
 * variables of the wrong type): {@code random-conversations.json} holds what jinja2 3.1.6 renders
 * for each in transformers' environment, or the error it raises ({@code random-conversations.py}
 * regenerates it). Each output must be equal; each error must be raised as a {@link
 * ChatTemplateException} (never another exception), with the template's own message for {@code
 * raise_exception}.
 */
class ChatTemplateRandomConversationsTest {

  @Test
  @SuppressWarnings("unchecked")
  void matchesJinjaOnRandomConversations() throws IOException {
    JsonElement root;
    try (InputStream in = getClass().getResourceAsStream("random-conversations.json")) {
      root = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    Map<String, Object> tokens =
        (Map<String, Object>) JsonValues.of(ChatTemplateReferenceTest.read("special_tokens.json"));
    Map<String, ChatTemplate> templates = new HashMap<>();
    List<String> failures = new ArrayList<>();
    int outputs = 0;
    int errors = 0;
    for (JsonElement e : root.getAsJsonArray()) {
      JsonObject o = e.getAsJsonObject();
      String name = o.get("template").getAsString();
      ChatTemplate t = templates.get(name);
      if (t == null) {
        String src =
            Files.readString(
                ChatTemplateReferenceTest.dir().resolve(name + ".jinja"), StandardCharsets.UTF_8);
        t =
            ChatTemplate.parse(src, name, (Map<String, ?>) tokens.get(name))
                .withClock(ChatTemplateReferenceTest.FIXED);
        templates.put(name, t);
      }
      List<ChatMessage> messages = new ArrayList<>();
      for (Object m : (List<Object>) JsonValues.of(o.get("messages"))) {
        messages.add(ChatMessage.fromMap((Map<String, ?>) m));
      }
      String out = null;
      ChatTemplateException error = null;
      try {
        out =
            t.render(
                messages,
                (List<Map<String, ?>>) JsonValues.of(o.get("tools")),
                o.get("agp").getAsBoolean(),
                (Map<String, ?>) JsonValues.of(o.get("kwargs")));
      } catch (ChatTemplateException ex) {
        error = ex;
      }
      String where = name + " " + o.get("messages") + " " + o.get("kwargs");
      if (o.has("output")) {
        outputs++;
        if (!o.get("output").getAsString().equals(out)) {
          failures.add(
              where
                  + ": want "
                  + o.get("output")
                  + ", got "
                  + (error != null ? error.getMessage() : out));
        }
      } else {
        errors++;
        if (error == null) {
          failures.add(where + ": want " + o.get("error") + ", rendered " + out);
        } else if (o.get("error").getAsString().equals("TemplateError")
            && !o.get("message").getAsString().equals(error.templateMessage())) {
          failures.add(where + ": want " + o.get("message") + ", raised " + error.getMessage());
        }
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " differ:\n" + String.join("\n", failures));
    assertEquals(350, outputs + errors);
    assertTrue(outputs > 100 && errors > 100, outputs + " outputs, " + errors + " errors");
  }
}
