package dev.ringmoe.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Gson JSON tree as the values {@link ChatMessage#fromMap} and {@link ChatTemplate#render} take,
 * the way Python's {@code json.loads} reads it (what a template sees in transformers): objects
 * become maps in their key order, arrays lists, {@code null} null; a number written without a
 * fraction or exponent is an int ({@link Long}), any other a float ({@link Double}), so {@code 1}
 * renders as {@code 1} and {@code 1.0} as {@code 1.0}.
 *
 * <p>Stateless and thread-safe; the returned maps and lists are new and mutable.
 */
public final class JsonValues {
  private JsonValues() {}

  /**
   * @return the value of {@code e}; null for a JSON {@code null} or a null element
   */
  public static Object of(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (e.isJsonObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
        m.put(x.getKey(), of(x.getValue()));
      }
      return m;
    }
    if (e.isJsonArray()) {
      List<Object> l = new ArrayList<>();
      e.getAsJsonArray().forEach(x -> l.add(of(x)));
      return l;
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      String text = p.getAsString();
      boolean integral = text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0;
      if (integral) {
        try {
          return Long.parseLong(text);
        } catch (NumberFormatException beyond64Bits) {
          return p.getAsDouble();
        }
      }
      return p.getAsDouble();
    }
    return p.getAsString();
  }
}
