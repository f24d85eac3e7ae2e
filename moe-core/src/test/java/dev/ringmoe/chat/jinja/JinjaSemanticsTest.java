package dev.ringmoe.chat.jinja;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.chat.JsonValues;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The engine against Jinja itself, construct by construct: {@code jinja2-semantics.json} holds 141
 * small templates (whitespace control, literals, operators, undefined values, methods, filters,
 * tests, loops, scoping, macros, call and filter blocks, globals, syntax errors) with what jinja2
 * 3.1.6 renders for each in transformers' environment, or the error it raises; {@code
 * jinja2-semantics.py} beside it regenerates the file. Every output must be equal; every error must
 * be raised (syntax and unknown names at parse time, the rest while rendering).
 */
class JinjaSemanticsTest {

  private static final Clock FIXED =
      Clock.fixed(Instant.parse("2025-06-15T12:00:00Z"), ZoneOffset.UTC);

  private static final Set<String> PARSE_ERRORS =
      Set.of("TemplateSyntaxError", "TemplateAssertionError", "SyntaxError");

  @Test
  @SuppressWarnings("unchecked")
  void rendersAsJinjaDoes() throws IOException {
    JsonObject root;
    try (InputStream in = getClass().getResourceAsStream("jinja2-semantics.json")) {
      root =
          JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
              .getAsJsonObject();
    }
    Map<String, Object> vars = (Map<String, Object>) JsonValues.of(root.get("variables"));
    List<String> failures = new ArrayList<>();
    int n = 0;
    for (JsonElement c : root.getAsJsonArray("cases")) {
      n++;
      JsonObject o = c.getAsJsonObject();
      String src = o.get("template").getAsString();
      Template t;
      try {
        t = Template.parse(src);
      } catch (JinjaException e) {
        if (!o.has("error") || !PARSE_ERRORS.contains(o.get("error").getAsString())) {
          failures.add(
              Py.strRepr(src) + ": refused at parse time: " + e.getMessage() + "; jinja: " + o);
        }
        continue;
      }
      try {
        String out = t.render(vars, FIXED);
        if (o.has("error")) {
          failures.add(Py.strRepr(src) + ": rendered " + Py.strRepr(out) + "; jinja raised " + o);
        } else if (!out.equals(o.get("output").getAsString())) {
          failures.add(
              Py.strRepr(src)
                  + ":\n   got  "
                  + Py.strRepr(out)
                  + "\n   want "
                  + Py.strRepr(o.get("output").getAsString()));
        }
      } catch (JinjaException e) {
        if (!o.has("error") || PARSE_ERRORS.contains(o.get("error").getAsString())) {
          failures.add(Py.strRepr(src) + ": raised " + e.getMessage() + "; jinja: " + o);
        }
      }
    }
    assertTrue(
        failures.isEmpty(),
        failures.size() + " of " + n + " differ:\n" + String.join("\n", failures));
  }
}
