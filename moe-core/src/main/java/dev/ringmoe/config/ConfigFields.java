package dev.ringmoe.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed, strict access to the top-level fields of a parsed {@code config.json}: each accessor
 * accepts exactly one JSON type and refuses anything else with a {@link ModelConfigException}
 * naming the file, the field and the value as written. Nothing is coerced: {@code 1} is not a
 * boolean, {@code "8"} and {@code 8.0} are not integers, and {@code [8]} is not a number.
 *
 * <p>Optional accessors return {@code null} both when the field is absent and when it is JSON
 * {@code null}: as in Hugging Face's {@code PretrainedConfig}, where {@code None} means "not set",
 * the caller applies the default. Required accessors refuse both.
 *
 * <p>Used by {@link ModelConfig} for the fields every family shares and by {@link ModelFamily}
 * implementations for their own. Not thread-safe; one instance per parse.
 */
public final class ConfigFields {
  /** Characters of a value shown in a message before it is cut. */
  private static final int SHOWN = 80;

  private final Map<String, Object> json;
  private final Path file;

  /**
   * Put before field names in messages: empty at the top level, {@code "rope_scaling."} inside that
   * object.
   */
  private final String prefix;

  ConfigFields(Map<String, Object> json, Path file) {
    this(json, file, "");
  }

  ConfigFields(Map<String, Object> json, Path file, String prefix) {
    this.json = json;
    this.file = file;
    this.prefix = prefix;
  }

  /** Whether the field is written at all, even as {@code null}. */
  public boolean isPresent(String name) {
    return json.containsKey(name);
  }

  /** Whether the field is present with a value other than {@code null}. */
  public boolean has(String name) {
    Object v = json.get(name);
    return v != null && v != StrictJson.NULL;
  }

  /**
   * An integer field that must be present: a JSON integer (no fraction or exponent) in Java's int
   * range.
   */
  public int requiredInt(String name) throws ModelConfigException {
    Integer v = optionalInt(name);
    if (v == null) {
      throw new ModelConfigException(
          file,
          "missing required field '"
              + prefix
              + name
              + "'"
              + (json.containsKey(name) ? " (it is null)" : ""));
    }
    return v;
  }

  /** An integer field, or {@code null} when it is absent or null. */
  public Integer optionalInt(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    return toInt(name, json.get(name), "an integer");
  }

  /**
   * A number field (an integer or a decimal), or {@code null} when absent or null. It must be
   * finite: {@code NaN}, {@code Infinity}, a literal too large for a double (such as {@code 1e999})
   * and a non-zero literal that underflows to zero are refused here, so that range checks see the
   * number the file means.
   */
  public Double optionalFiniteDouble(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    if (!(v instanceof StrictJson.Num)) {
      throw wrongType(name, v, "a number");
    }
    StrictJson.Num n = (StrictJson.Num) v;
    double d = n.toDouble();
    if (!Double.isFinite(d)) {
      throw new ModelConfigException(
          file, "field '" + prefix + name + "' must be a finite number, was " + n.literal());
    }
    if (d == 0 && !isZeroLiteral(n.literal())) {
      throw new ModelConfigException(
          file,
          "field '"
              + prefix
              + name
              + "' is too small to represent (it rounds to 0), was "
              + n.literal());
    }
    return d;
  }

  /** A boolean field ({@code true} or {@code false} only), or {@code null} when absent or null. */
  public Boolean optionalBoolean(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    if (!(v instanceof Boolean)) {
      throw wrongType(name, v, "true or false");
    }
    return (Boolean) v;
  }

  /** A string field, or {@code null} when absent or null. */
  public String optionalString(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    if (!(v instanceof String)) {
      throw wrongType(name, v, "a string");
    }
    return (String) v;
  }

  /** A field that must be a non-empty list of strings. */
  public List<String> requiredStrings(String name, String whyRequired) throws ModelConfigException {
    if (!has(name)) {
      throw new ModelConfigException(file, "no '" + prefix + name + "' list: " + whyRequired);
    }
    Object v = json.get(name);
    if (!(v instanceof List) || ((List<?>) v).isEmpty()) {
      throw wrongType(name, v, "a non-empty list of strings");
    }
    List<String> out = new ArrayList<>();
    for (Object x : (List<?>) v) {
      if (!(x instanceof String)) {
        throw wrongType(name, v, "a non-empty list of strings");
      }
      out.add((String) x);
    }
    return out;
  }

  /** A list of strings (possibly empty), or {@code null} when absent or null. */
  public List<String> optionalStrings(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    if (!(v instanceof List)) {
      throw wrongType(name, v, "a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (Object x : (List<?>) v) {
      if (!(x instanceof String)) {
        throw wrongType(name, v, "a list of strings");
      }
      out.add((String) x);
    }
    return out;
  }

  /**
   * The fields of an object field (messages name them {@code name.field}), or {@code null} when
   * absent or null.
   */
  public ConfigFields optionalFields(String name) throws ModelConfigException {
    Map<String, Object> o = optionalObject(name);
    return o == null ? null : new ConfigFields(o, file, prefix + name + ".");
  }

  /**
   * A field that may be an integer or a list of integers (as {@code eos_token_id} is), or {@code
   * null} when absent or null. An empty list gives an empty array.
   */
  public int[] optionalIntOrInts(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    String expected = "an integer or a list of integers";
    if (v instanceof List) {
      List<?> list = (List<?>) v;
      int[] out = new int[list.size()];
      for (int i = 0; i < out.length; i++) {
        Object x = list.get(i);
        if (!(x instanceof StrictJson.Num)) {
          throw wrongType(name, v, expected);
        }
        out[i] = toInt(name, x, expected);
      }
      return out;
    }
    return new int[] {toInt(name, v, expected)};
  }

  /** A field that must be a list of integers when present; {@code null} when absent or null. */
  public int[] optionalInts(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    if (!(v instanceof List)) {
      throw wrongType(name, v, "a list of integers");
    }
    return optionalIntOrInts(name);
  }

  /**
   * A refusal of this file's configuration: {@code problem} should name the field and the value.
   */
  public ModelConfigException refuse(String problem) {
    return new ModelConfigException(file, problem);
  }

  /** An object field, or {@code null} when absent or null. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> optionalObject(String name) throws ModelConfigException {
    if (!has(name)) {
      return null;
    }
    Object v = json.get(name);
    if (!(v instanceof Map)) {
      throw wrongType(name, v, "an object");
    }
    return (Map<String, Object>) v;
  }

  private int toInt(String name, Object v, String expected) throws ModelConfigException {
    if (!(v instanceof StrictJson.Num)) {
      throw wrongType(name, json.get(name), expected);
    }
    StrictJson.Num n = (StrictJson.Num) v;
    if (!n.isIntegerLiteral()) {
      throw new ModelConfigException(
          file,
          "field '"
              + prefix
              + name
              + "' must be "
              + expected
              + " (written without a fraction or exponent), was "
              + StrictJson.render(json.get(name), SHOWN));
    }
    String digits = n.literal();
    // An int has at most 10 digits: longer literals are out of range without parsing them.
    if (digits.length() > 11 || Long.parseLong(digits) != (int) Long.parseLong(digits)) {
      throw new ModelConfigException(
          file,
          "field '"
              + prefix
              + name
              + "' is out of range ("
              + Integer.MIN_VALUE
              + " to "
              + Integer.MAX_VALUE
              + "), was "
              + StrictJson.render(json.get(name), SHOWN));
    }
    return Integer.parseInt(digits);
  }

  private ModelConfigException wrongType(String name, Object v, String expected) {
    return new ModelConfigException(
        file,
        "field '"
            + prefix
            + name
            + "' must be "
            + expected
            + ", was "
            + StrictJson.render(v, SHOWN));
  }

  private static boolean isZeroLiteral(String literal) {
    int e = literal.indexOf('e') >= 0 ? literal.indexOf('e') : literal.indexOf('E');
    String mantissa = e >= 0 ? literal.substring(0, e) : literal;
    for (int i = 0; i < mantissa.length(); i++) {
      char c = mantissa.charAt(i);
      if (c >= '1' && c <= '9') {
        return false;
      }
    }
    return true;
  }
}
