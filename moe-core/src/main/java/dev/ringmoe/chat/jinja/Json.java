package dev.ringmoe.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} for the engine's values: key order kept, floats as Python prints
 * them.
 */
final class Json {

  private Json() {}

  static String dumps(
      Object v,
      String indent,
      boolean ensureAscii,
      String itemSep,
      String keySep,
      boolean sortKeys,
      int line) {
    StringBuilder sb = new StringBuilder();
    write(sb, v, indent, ensureAscii, itemSep, keySep, sortKeys, 0, line);
    return sb.toString();
  }

  private static void write(
      StringBuilder sb,
      Object v,
      String indent,
      boolean ascii,
      String itemSep,
      String keySep,
      boolean sort,
      int level,
      int line) {
    if (sb.length() > Interpreter.MAX_OUTPUT || level > Interpreter.MAX_DEPTH) {
      throw new JinjaException(
          JinjaException.Kind.LIMIT, "tojson value too large or deep (line " + line + ")");
    }
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof Long) {
      sb.append(v);
    } else if (v instanceof Double d) {
      if (d.isNaN()) {
        sb.append("NaN");
      } else if (d.isInfinite()) {
        sb.append(d > 0 ? "Infinity" : "-Infinity");
      } else {
        sb.append(Py.floatRepr(d));
      }
    } else if (v instanceof String s) {
      string(sb, s, ascii);
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        sb.append(i > 0 ? itemSep : "");
        newline(sb, indent, level + 1);
        write(sb, l.get(i), indent, ascii, itemSep, keySep, sort, level + 1, line);
      }
      newline(sb, indent, level);
      sb.append(']');
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
      if (sort) {
        entries.sort((x, y) -> Py.compare(x.getKey(), y.getKey(), "<", line));
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : entries) {
        sb.append(first ? "" : itemSep);
        first = false;
        newline(sb, indent, level + 1);
        Object k = e.getKey();
        if (k instanceof String ks) {
          string(sb, ks, ascii);
        } else if (k == null || k instanceof Boolean || Py.isNumber(k)) {
          string(
              sb,
              k == null ? "null" : k instanceof Boolean b ? (b ? "true" : "false") : Py.repr(k),
              ascii);
        } else {
          throw Py.typeError(
              line, "keys must be str, int, float, bool or None, not " + Py.typeName(k));
        }
        sb.append(keySep);
        write(sb, e.getValue(), indent, ascii, itemSep, keySep, sort, level + 1, line);
      }
      newline(sb, indent, level);
      sb.append('}');
    } else {
      throw Py.typeError(line, "Object of type " + Py.typeName(v) + " is not JSON serializable");
    }
  }

  private static void newline(StringBuilder sb, String indent, int level) {
    if (indent != null) {
      sb.append('\n').append(indent.repeat(level));
    }
  }

  private static void string(StringBuilder sb, String s, boolean ascii) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || (ascii && c > 0x7e)) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
