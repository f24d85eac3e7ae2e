package dev.ringmoe.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.nio.file.Path;

/**
 * Strictly typed reading of a {@code config.json} object: every field is read as exactly the JSON type it must have
 * (an integer is a JSON number without fraction or exponent, a boolean is {@code true} or {@code false}, a string is
 * a string), and anything else is a {@link ModelConfigException} naming the file, the field and the value. JSON
 * {@code null} means absent, as Hugging Face's {@code None} does for optional fields.
 *
 * <p>Used by {@link ModelConfig} for the fields every family shares and by {@link ModelFamily} implementations for
 * their own. Not thread-safe (wraps a mutable Gson tree); one per load.
 */
public final class ConfigJson {
  private final JsonObject json;
  private final Path file;

  ConfigJson(JsonObject json, Path file) {
    this.json = json;
    this.file = file;
  }

  /** The file, for messages. */
  public Path file() {
    return file;
  }

  /** Whether {@code name} is present and not null. */
  public boolean has(String name) {
    JsonElement e = json.get(name);
    return e != null && !e.isJsonNull();
  }

  /** @throws ModelConfigException if absent or not an integer */
  public int requiredInt(String name) throws ModelConfigException {
    if (!has(name)) {
      throw problem("missing required field '" + name + "'");
    }
    return toInt(name, json.get(name));
  }

  public int optionalInt(String name, int fallback) throws ModelConfigException {
    return has(name) ? toInt(name, json.get(name)) : fallback;
  }

  /** A finite number (integer or not). */
  public double optionalDouble(String name, double fallback) throws ModelConfigException {
    if (!has(name)) {
      return fallback;
    }
    JsonElement e = json.get(name);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw problem("field '" + name + "' must be a number, was " + e);
    }
    double d = e.getAsDouble();
    if (!Double.isFinite(d)) {
      throw problem("field '" + name + "' must be a finite number, was " + e);
    }
    return d;
  }

  public boolean optionalBoolean(String name, boolean fallback) throws ModelConfigException {
    if (!has(name)) {
      return fallback;
    }
    JsonElement e = json.get(name);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw problem("field '" + name + "' must be true or false, was " + e);
    }
    return e.getAsBoolean();
  }

  /** @return the string, or null when absent */
  public String optionalString(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    JsonElement e = json.get(name);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw problem("field '" + name + "' must be a string, was " + e);
    }
    return e.getAsString();
  }

  /** An integer or a list of integers (as {@code eos_token_id} may be); empty when absent. */
  public int[] intOrIntList(String name) throws ModelConfigException {
    if (!has(name)) {
      return new int[0];
    }
    JsonElement e = json.get(name);
    if (!e.isJsonArray()) {
      return new int[] {toInt(name, e)};
    }
    return intList(name, e.getAsJsonArray());
  }

  /** A list of integers; empty when absent. */
  public int[] intList(String name) throws ModelConfigException {
    if (!has(name)) {
      return new int[0];
    }
    JsonElement e = json.get(name);
    if (!e.isJsonArray()) {
      throw problem("field '" + name + "' must be a list of integers, was " + e);
    }
    return intList(name, e.getAsJsonArray());
  }

  /** A list of strings; empty when absent. */
  public String[] stringList(String name) throws ModelConfigException {
    if (!has(name)) {
      return new String[0];
    }
    JsonElement e = json.get(name);
    if (!e.isJsonArray()) {
      throw problem("field '" + name + "' must be a list of strings, was " + e);
    }
    JsonArray a = e.getAsJsonArray();
    String[] out = new String[a.size()];
    for (int i = 0; i < out.length; i++) {
      JsonElement x = a.get(i);
      if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
        throw problem("field '" + name + "' must be a list of strings, element " + i + " was " + x);
      }
      out[i] = x.getAsString();
    }
    return out;
  }

  private int[] intList(String name, JsonArray a) throws ModelConfigException {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = toInt(name + "[" + i + "]", a.get(i));
    }
    return out;
  }

  private int toInt(String name, JsonElement e) throws ModelConfigException {
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      String text = ((JsonPrimitive) e).getAsNumber().toString();
      if (text.matches("-?[0-9]+")) {
        BigDecimal d = new BigDecimal(text);
        if (d.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0
            && d.compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) >= 0) {
          return d.intValueExact();
        }
        throw problem("field '" + name + "' is out of range, was " + e);
      }
    }
    throw problem("field '" + name + "' must be an integer, was " + e);
  }

  /** A refusal naming the file. */
  public ModelConfigException problem(String message) {
    return new ModelConfigException(file, message);
  }
}
