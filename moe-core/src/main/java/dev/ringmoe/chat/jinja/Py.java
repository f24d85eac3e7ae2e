package dev.ringmoe.chat.jinja;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics over the engine's value representation: {@code null} is None, {@link
 * Undefined} is Jinja's default undefined, {@link Long} int, {@link Double} float, {@link Boolean}
 * bool (also a number, as in Python), {@link String} str, {@link List} list ({@link Tuple} tuple),
 * {@link Map} dict (insertion-ordered), plus {@link Namespace}, {@link Callable} and {@link Loop}.
 */
final class Py {

  private Py() {}

  /** A Python tuple: an immutable list that prints with parentheses. */
  static final class Tuple extends AbstractList<Object> {
    private final Object[] items;

    Tuple(Object... items) {
      this.items = items;
    }

    @Override
    public Object get(int i) {
      return items[i];
    }

    @Override
    public int size() {
      return items.length;
    }
  }

  /** A dict view ({@code dict_keys([...])}): a list that prints with its Python type name. */
  static final class View extends AbstractList<Object> {
    final String type;
    private final List<Object> items;

    View(String type, List<Object> items) {
      this.type = type;
      this.items = items;
    }

    @Override
    public Object get(int i) {
      return items.get(i);
    }

    @Override
    public int size() {
      return items.size();
    }
  }

  /** Something a template can call: a macro, a global function, a bound method. */
  interface Callable {
    Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs, int line);
  }

  static boolean isSpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
  }

  static String typeName(Object v) {
    if (v == null) {
      return "NoneType";
    }
    if (v instanceof Undefined) {
      return "Undefined";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    if (v instanceof Long) {
      return "int";
    }
    if (v instanceof Double) {
      return "float";
    }
    if (v instanceof String) {
      return "str";
    }
    if (v instanceof Tuple) {
      return "tuple";
    }
    if (v instanceof View view) {
      return view.type;
    }
    if (v instanceof List) {
      return "list";
    }
    if (v instanceof Map) {
      return "dict";
    }
    if (v instanceof Namespace) {
      return "Namespace";
    }
    if (v instanceof Loop) {
      return "LoopContext";
    }
    return "function";
  }

  static boolean truthy(Object v) {
    if (v == null || v instanceof Undefined) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof Long l) {
      return l != 0;
    }
    if (v instanceof Double d) {
      return d != 0.0;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof List<?> l) {
      return !l.isEmpty();
    }
    if (v instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    return true;
  }

  static boolean isNumber(Object v) {
    return v instanceof Long || v instanceof Double || v instanceof Boolean;
  }

  static boolean isInt(Object v) {
    return v instanceof Long || v instanceof Boolean;
  }

  static long toLong(Object v) {
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    return ((Number) v).longValue();
  }

  static double toDouble(Object v) {
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    return ((Number) v).doubleValue();
  }

  /** Python's {@code str(v)}; Undefined renders empty. */
  static String str(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Undefined) {
      return "";
    }
    return repr(v);
  }

  static String repr(Object v) {
    if (v == null) {
      return "None";
    }
    if (v instanceof Undefined) {
      return "";
    }
    if (v instanceof Boolean b) {
      return b ? "True" : "False";
    }
    if (v instanceof Long) {
      return v.toString();
    }
    if (v instanceof Double d) {
      return floatRepr(d);
    }
    if (v instanceof String s) {
      return strRepr(s);
    }
    if (v instanceof Tuple t) {
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < t.size(); i++) {
        sb.append(i > 0 ? ", " : "").append(repr(t.get(i)));
      }
      return sb.append(t.size() == 1 ? ",)" : ")").toString();
    }
    if (v instanceof View view) {
      return view.type + "(" + repr(new ArrayList<>(view)) + ")";
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
      }
      return sb.append(']').toString();
    }
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "" : ", ")
            .append(repr(e.getKey()))
            .append(": ")
            .append(repr(e.getValue()));
        first = false;
      }
      return sb.append('}').toString();
    }
    if (v instanceof Namespace ns) {
      return "<Namespace " + repr(ns.attrs) + ">";
    }
    return "<" + typeName(v) + ">";
  }

  static String strRepr(String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder sb = new StringBuilder().append(q);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == q || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append(q).toString();
  }

  /**
   * Python's {@code repr(float)}: shortest round-trip digits, scientific below 1e-4 and from 1e16.
   */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal bd = shortest(Math.abs(d));
    String digits = bd.unscaledValue().toString();
    int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
    StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
    if (exp >= -4 && exp < 16) {
      if (exp < 0) {
        sb.append("0.").append("0".repeat(-exp - 1)).append(digits);
      } else if (digits.length() <= exp + 1) {
        sb.append(digits).append("0".repeat(exp + 1 - digits.length())).append(".0");
      } else {
        sb.append(digits, 0, exp + 1).append('.').append(digits.substring(exp + 1));
      }
    } else {
      sci(sb, digits, exp);
    }
    return sb.toString();
  }

  /** The shortest decimal that reads back as {@code d} (nearest to it among equally short ones). */
  private static BigDecimal shortest(double d) {
    BigDecimal exact = new BigDecimal(d);
    for (int p = 1; p < 17; p++) {
      BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
      if (r.doubleValue() == d) {
        return r.stripTrailingZeros();
      }
    }
    return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
  }

  private static void sci(StringBuilder sb, String digits, int exp) {
    sb.append(digits.charAt(0));
    if (digits.length() > 1) {
      sb.append('.').append(digits.substring(1));
    }
    sb.append('e').append(exp < 0 ? '-' : '+');
    int a = Math.abs(exp);
    sb.append(a < 10 ? "0" : "").append(a);
  }

  static boolean eq(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null) {
      return false;
    }
    if (a instanceof Undefined || b instanceof Undefined) {
      return a instanceof Undefined && b instanceof Undefined;
    }
    if (isNumber(a) && isNumber(b)) {
      if (isInt(a) && isInt(b)) {
        return toLong(a) == toLong(b);
      }
      return toDouble(a) == toDouble(b);
    }
    if (a instanceof String || b instanceof String) {
      return a.equals(b);
    }
    if (a instanceof List<?> la && b instanceof List<?> lb) {
      if ((a instanceof Tuple) != (b instanceof Tuple) || la.size() != lb.size()) {
        return false;
      }
      for (int i = 0; i < la.size(); i++) {
        if (!eq(la.get(i), lb.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      if (ma.size() != mb.size()) {
        return false;
      }
      for (Map.Entry<?, ?> e : ma.entrySet()) {
        if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  /** Python's ordering for {@code <}; TypeError where Python has none. */
  static int compare(Object a, Object b, String op, int line) {
    if (a instanceof Undefined u) {
      throw u.error(line);
    }
    if (b instanceof Undefined u) {
      throw u.error(line);
    }
    if (isNumber(a) && isNumber(b)) {
      if (isInt(a) && isInt(b)) {
        return Long.compare(toLong(a), toLong(b));
      }
      return Double.compare(toDouble(a), toDouble(b));
    }
    if (a instanceof String sa && b instanceof String sb) {
      return Integer.signum(sa.compareTo(sb));
    }
    if (a instanceof List<?> la && b instanceof List<?> lb) {
      for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
        if (!eq(la.get(i), lb.get(i))) {
          return compare(la.get(i), lb.get(i), op, line);
        }
      }
      return Integer.compare(la.size(), lb.size());
    }
    throw typeError(
        line,
        "'"
            + op
            + "' not supported between instances of '"
            + typeName(a)
            + "' and '"
            + typeName(b)
            + "'");
  }

  static JinjaException typeError(int line, String msg) {
    return JinjaException.runtime(line, "TypeError: " + msg);
  }

  /** Python's {@code len}. */
  static int len(Object v, int line) {
    if (v instanceof String s) {
      return s.codePointCount(0, s.length());
    }
    if (v instanceof List<?> l) {
      return l.size();
    }
    if (v instanceof Map<?, ?> m) {
      return m.size();
    }
    if (v instanceof Undefined) {
      return 0;
    }
    throw typeError(line, "object of type '" + typeName(v) + "' has no len()");
  }

  /** Python's {@code iter}: a list of the items (characters of a string, keys of a dict). */
  static List<Object> iterate(Object v, int line) {
    if (v instanceof List<?> l) {
      @SuppressWarnings("unchecked")
      List<Object> lo = (List<Object>) l;
      return lo;
    }
    if (v instanceof Map<?, ?> m) {
      return List.copyOf(m.keySet());
    }
    if (v instanceof String s) {
      return chars(s);
    }
    if (v instanceof Undefined) {
      return List.of();
    }
    throw typeError(line, "'" + typeName(v) + "' object is not iterable");
  }

  static List<Object> chars(String s) {
    return s.codePoints().mapToObj(cp -> (Object) new String(Character.toChars(cp))).toList();
  }

  static boolean contains(Object container, Object item, int line) {
    if (container instanceof String s) {
      if (!(item instanceof String it)) {
        if (item instanceof Undefined u) {
          throw u.error(line);
        }
        throw typeError(
            line, "'in <string>' requires string as left operand, not " + typeName(item));
      }
      return s.contains(it);
    }
    if (container instanceof Map<?, ?> m) {
      if (item instanceof List || item instanceof Map) {
        throw typeError(line, "unhashable type: '" + typeName(item) + "'");
      }
      if (item instanceof String) {
        return m.containsKey(item);
      }
      for (Object k : m.keySet()) {
        if (eq(k, item)) {
          return true;
        }
      }
      return false;
    }
    if (container instanceof List<?> l) {
      for (Object o : l) {
        if (eq(o, item)) {
          return true;
        }
      }
      return false;
    }
    if (container instanceof Undefined) {
      return false;
    }
    throw typeError(line, "argument of type '" + typeName(container) + "' is not iterable");
  }
}
