package dev.ringmoe.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every entry of {@code ../shared/reference/chat-templates/expected.json}: the 14 published
 * templates x 23 conversations x add_generation_prompt, rendered by transformers 4.57.6. Each
 * output must be equal byte for byte, each expected error must be raised (the template's own {@code
 * raise_exception} message equal).
 */
class ChatTemplateReferenceTest {

  static final Clock FIXED = Clock.fixed(Instant.parse("2025-06-15T12:00:00Z"), ZoneOffset.UTC);

  static Path dir() {
    return ReferenceData.root().resolve("chat-templates");
  }

  static JsonElement read(String file) throws IOException {
    return JsonParser.parseString(Files.readString(dir().resolve(file), StandardCharsets.UTF_8));
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyReferenceRenderingMatches() throws IOException {
    Map<String, Map<String, Object>> cases = new HashMap<>();
    for (JsonElement c : read("cases.json").getAsJsonObject().getAsJsonArray("cases")) {
      Map<String, Object> m = (Map<String, Object>) JsonValues.of(c);
      cases.put((String) m.get("id"), m);
    }
    Map<String, Object> tokens = (Map<String, Object>) JsonValues.of(read("special_tokens.json"));
    Map<String, ChatTemplate> templates = new HashMap<>();
    int exact = 0;
    int raised = 0;
    int skipped = 0;
    List<String> failures = new ArrayList<>();
    for (JsonElement r : read("expected.json").getAsJsonObject().getAsJsonArray("renderings")) {
      JsonObject o = r.getAsJsonObject();
      if (o.has("skipped")) {
        skipped++;
        continue;
      }
      String name = o.get("template").getAsString();
      String caseId = o.get("case").getAsString();
      boolean agp = o.get("add_generation_prompt").getAsBoolean();
      String where = name + " / " + caseId + " / add_generation_prompt=" + agp;
      ChatTemplate t =
          templates.computeIfAbsent(
              name,
              n -> {
                try {
                  String src =
                      Files.readString(dir().resolve(n + ".jinja"), StandardCharsets.UTF_8);
                  return ChatTemplate.parse(src, n + ".jinja", (Map<String, ?>) tokens.get(n))
                      .withClock(FIXED);
                } catch (IOException e) {
                  throw new AssertionError(e);
                }
              });
      Map<String, Object> c = cases.get(caseId);
      List<ChatMessage> messages = new ArrayList<>();
      for (Object m : (List<Object>) c.get("messages")) {
        messages.add(ChatMessage.fromMap((Map<String, ?>) m));
      }
      List<Map<String, ?>> tools = (List<Map<String, ?>>) c.get("tools");
      Map<String, ?> kwargs =
          c.get("template_kwargs") == null ? Map.of() : (Map<String, ?>) c.get("template_kwargs");
      String out = null;
      ChatTemplateException error = null;
      try {
        out = t.render(messages, tools, agp, kwargs);
      } catch (ChatTemplateException e) {
        error = e;
      }
      if (o.has("output")) {
        String want = o.get("output").getAsString();
        if (want.equals(out)) {
          exact++;
        } else {
          failures.add(
              where + ": " + (error != null ? "raised " + error.getMessage() : diff(want, out)));
        }
      } else {
        JsonObject err = o.getAsJsonObject("error");
        if (error == null) {
          failures.add(where + ": expected " + err + ", rendered " + Py.repr(out));
        } else if (err.get("type").getAsString().equals("jinja2.exceptions.TemplateError")
            && !(error.raisedByTemplate()
                && error.templateMessage().equals(err.get("message").getAsString()))) {
          failures.add(where + ": expected " + err + ", raised " + error.getMessage());
        } else if (err.get("type").getAsString().equals("builtins.TypeError")
            && !error.getMessage().contains("TypeError: " + err.get("message").getAsString())) {
          // Python's wording is reproduced for the TypeErrors these templates hit
          failures.add(where + ": expected " + err + ", raised " + error.getMessage());
        } else {
          raised++;
        }
      }
    }
    assertTrue(
        failures.isEmpty(),
        failures.size()
            + " mismatches:\n"
            + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    assertEquals(514, exact, "byte-exact renderings");
    assertEquals(44, raised, "expected errors raised");
    assertEquals(86, skipped, "skipped entries");
  }

  private static String diff(String want, String got) {
    if (got == null) {
      return "null";
    }
    int i = 0;
    while (i < want.length() && i < got.length() && want.charAt(i) == got.charAt(i)) {
      i++;
    }
    int from = Math.max(0, i - 40);
    return "differs at char "
        + i
        + ": want "
        + Py.repr(want.substring(from, Math.min(want.length(), i + 60)))
        + " got "
        + Py.repr(got.substring(from, Math.min(got.length(), i + 60)));
  }

  /** Python-style repr for messages. */
  static final class Py {
    static String repr(String s) {
      return s == null ? "null" : "'" + s.replace("\\", "\\\\").replace("\n", "\\n") + "'";
    }
  }
}
