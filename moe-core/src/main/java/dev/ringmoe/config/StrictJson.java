package dev.ringmoe.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A strict JSON reader (RFC 8259) for configuration files, producing plain Java values: {@link Map}
 * (insertion ordered) for objects, {@link List} for arrays, {@link String}, {@link Boolean}, {@link
 * Num} for numbers and {@link #NULL} for {@code null}.
 *
 * <p>Stricter than Gson's lenient default, which accepts comments, unquoted names and single quotes
 * and lets a later duplicate key silently replace an earlier one: here a duplicate key in any
 * object, a raw control character inside a string, an invalid escape, a byte order mark, trailing
 * text after the value and nesting deeper than {@value #MAX_DEPTH} levels are syntax errors. The
 * one extension is the one Python's {@code json} module (which writes every Hugging Face {@code
 * config.json}) has: the literals {@code NaN}, {@code Infinity} and {@code -Infinity} are read as
 * numbers, so that a field holding one is refused by name rather than as a syntax error.
 *
 * <p>Stateless and thread-safe; one parse uses recursion at most {@value #MAX_DEPTH} deep.
 */
final class StrictJson {
  /** Deepest nesting of objects and arrays accepted; real configurations nest 3 or 4 levels. */
  static final int MAX_DEPTH = 64;

  /** The JSON {@code null}. */
  static final Object NULL =
      new Object() {
        @Override
        public String toString() {
          return "null";
        }
      };

  private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

  /**
   * A JSON number, kept as written so that messages show it and integer fields can insist on
   * integer syntax.
   */
  static final class Num {
    private final String literal;

    Num(String literal) {
      this.literal = literal;
    }

    /**
     * The number as written in the file ({@code NaN}, {@code Infinity} and {@code -Infinity}
     * included).
     */
    String literal() {
      return literal;
    }

    /** Whether it is written as an integer: no fraction, no exponent. */
    boolean isIntegerLiteral() {
      return INTEGER.matcher(literal).matches();
    }

    /** The nearest double: infinite when the literal overflows, 0 when it underflows. */
    double toDouble() {
      switch (literal) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          return Double.parseDouble(literal); // valid JSON number syntax always parses
      }
    }

    @Override
    public String toString() {
      return literal;
    }
  }

  /** Invalid JSON; the message says what and where (line and column, from 1). */
  static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxException(String message) {
      super(message);
    }
  }

  private final String text;
  private int pos;

  private StrictJson(String text) {
    this.text = text;
  }

  /** Parses a whole document: exactly one value, surrounded by nothing but whitespace. */
  static Object parse(String text) throws SyntaxException {
    StrictJson p = new StrictJson(text);
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      throw new SyntaxException(
          "starts with a byte order mark (U+FEFF), which JSON does not allow");
    }
    p.skipWhitespace();
    Object value = p.value(0);
    p.skipWhitespace();
    if (p.pos < text.length()) {
      throw p.error("unexpected text after the JSON value");
    }
    return value;
  }

  private Object value(int depth) throws SyntaxException {
    if (pos >= text.length()) {
      throw error("unexpected end of the text, a value was expected");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return NULL;
      case 'N':
        literal("NaN");
        return new Num("NaN");
      case 'I':
        literal("Infinity");
        return new Num("Infinity");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected character " + describe(c) + ", a value was expected");
    }
  }

  private Map<String, Object> object(int depth) throws SyntaxException {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> out = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return out;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("an object member name (a string in double quotes) was expected");
      }
      int keyAt = pos;
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Object v = value(depth);
      if (out.containsKey(key)) {
        pos = keyAt;
        throw error(
            "duplicate key "
                + quote(key)
                + " (the value would depend on which copy a reader keeps)");
      }
      out.put(key, v);
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == '}') {
        return out;
      }
      if (c != ',') {
        pos--;
        throw error("',' or '}' was expected in an object");
      }
    }
  }

  private List<Object> array(int depth) throws SyntaxException {
    checkDepth(depth);
    pos++; // '['
    List<Object> out = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(out);
    }
    while (true) {
      skipWhitespace();
      out.add(value(depth));
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == ']') {
        return Collections.unmodifiableList(out);
      }
      if (c != ',') {
        pos--;
        throw error("',' or ']' was expected in an array");
      }
    }
  }

  private String string() throws SyntaxException {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return sb.toString();
      }
      if (c < 0x20) {
        throw error(
            "raw control character " + describe(c) + " inside a string (JSON requires it escaped)");
      }
      if (c != '\\') {
        sb.append(c);
        pos++;
        continue;
      }
      if (pos + 1 >= text.length()) {
        throw error("unterminated escape sequence");
      }
      char e = text.charAt(pos + 1);
      pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          sb.append(e);
          break;
        case 'b':
          sb.append('\b');
          break;
        case 'f':
          sb.append('\f');
          break;
        case 'n':
          sb.append('\n');
          break;
        case 'r':
          sb.append('\r');
          break;
        case 't':
          sb.append('\t');
          break;
        case 'u':
          if (pos + 4 > text.length()) {
            throw error("incomplete \\u escape");
          }
          int code = 0;
          for (int i = 0; i < 4; i++) {
            char h = text.charAt(pos + i);
            int d =
                h >= '0' && h <= '9'
                    ? h - '0'
                    : h >= 'a' && h <= 'f'
                        ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
            if (d < 0) {
              throw error("invalid \\u escape, four hexadecimal digits are required");
            }
            code = code * 16 + d;
          }
          sb.append((char) code);
          pos += 4;
          break;
        default:
          pos -= 2;
          throw error(
              "invalid escape sequence \\"
                  + (e < 0x20 || e > 0x7e ? describe(e) : String.valueOf(e)));
      }
    }
  }

  private Num number() throws SyntaxException {
    int start = pos;
    if (peek() == '-') {
      pos++;
      if (text.startsWith("Infinity", pos)) {
        pos += "Infinity".length();
        return new Num("-Infinity");
      }
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("a digit was expected in a number");
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("a digit was expected after the decimal point");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("a digit was expected in the exponent");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (isDigit(peek()) || Character.isLetter(peek()) || peek() == '.') {
      throw error("malformed number");
    }
    return new Num(text.substring(start, pos));
  }

  private void literal(String word) throws SyntaxException {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected character " + describe(text.charAt(pos)) + ", a value was expected");
    }
    pos += word.length();
    if (pos < text.length() && Character.isLetterOrDigit(text.charAt(pos))) {
      throw error("unexpected character " + describe(text.charAt(pos)) + " after " + word);
    }
  }

  private void expect(char c) throws SyntaxException {
    if (peek() != c) {
      throw error("'" + c + "' was expected");
    }
    pos++;
  }

  private void checkDepth(int depth) throws SyntaxException {
    if (depth > MAX_DEPTH) {
      throw error("objects and arrays nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  /**
   * The character at the current position, or U+FFFF at the end (never valid where it is checked).
   */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\uFFFF';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private SyntaxException error(String problem) {
    int line = 1;
    int column = 1;
    int end = Math.min(pos, text.length());
    for (int i = 0; i < end; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    String where =
        pos >= text.length()
            ? "at the end of the text (line " + line + ")"
            : "at line " + line + " column " + column;
    return new SyntaxException(problem + " " + where);
  }

  private static String describe(char c) {
    return String.format("U+%04X", (int) c) + (c >= 0x20 && c < 0x7f ? " '" + c + "'" : "");
  }

  /**
   * A JSON rendering of a parsed value for messages: at most {@code max} characters (then "..."),
   * with control and non-ASCII characters escaped so that a hostile file cannot put raw bytes into
   * a log line.
   */
  static String render(Object value, int max) {
    StringBuilder sb = new StringBuilder();
    render(value, sb, max + 1);
    return sb.length() > max ? sb.substring(0, max) + "..." : sb.toString();
  }

  private static void render(Object v, StringBuilder sb, int limit) {
    if (sb.length() > limit) {
      return;
    }
    if (v instanceof Map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (sb.length() > limit) {
          return;
        }
        if (!first) {
          sb.append(", ");
        }
        first = false;
        sb.append(quote((String) e.getKey())).append(": ");
        render(e.getValue(), sb, limit);
      }
      sb.append('}');
    } else if (v instanceof List) {
      sb.append('[');
      boolean first = true;
      for (Object x : (List<?>) v) {
        if (sb.length() > limit) {
          return;
        }
        if (!first) {
          sb.append(", ");
        }
        first = false;
        render(x, sb, limit);
      }
      sb.append(']');
    } else if (v instanceof String) {
      sb.append(quote((String) v));
    } else {
      sb.append(v); // Boolean, Num, NULL
    }
  }

  /**
   * A string in double quotes with JSON escapes; non-ASCII and control characters as {@code
   * \\uXXXX}.
   */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    int i = 0;
    for (; i < s.length() && sb.length() < 200; i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (i < s.length()) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }
}
