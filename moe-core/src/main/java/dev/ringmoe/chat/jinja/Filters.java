package dev.ringmoe.chat.jinja;

import static dev.ringmoe.chat.jinja.Methods.arg;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinja's built-in filters and tests that chat templates use, with {@code tojson} as transformers
 * defines it (Python's {@code json.dumps}, {@code ensure_ascii=False}, no HTML escaping). A name
 * missing from {@link #FILTERS} or {@link #TESTS} is refused by the parser.
 */
final class Filters {

  private Filters() {}

  interface Fn {
    Object apply(Interpreter in, Object v, List<Object> args, Map<String, Object> kw, int line);
  }

  interface TestFn {
    boolean test(Interpreter in, Object v, List<Object> args, int line);
  }

  static final Map<String, Fn> FILTERS = new HashMap<>();
  static final Map<String, TestFn> TESTS = new HashMap<>();

  private static final Pattern TITLE_SPLIT = Pattern.compile("([-\\s({\\[<]+)");
  private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern LINES =
      Pattern.compile("\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]");

  static {
    FILTERS.put("tojson", Filters::tojson);
    FILTERS.put(
        "trim",
        (in, v, a, kw, l) -> Methods.strip(Py.str(v), arg(a, kw, 0, "chars", null), true, true, l));
    Fn length = (in, v, a, kw, l) -> (long) Py.len(v, l);
    FILTERS.put("length", length);
    FILTERS.put("count", length);
    FILTERS.put("join", Filters::join);
    Fn dflt =
        (in, v, a, kw, l) -> {
          Object d = arg(a, kw, 0, "default_value", "");
          boolean bool = Py.truthy(arg(a, kw, 1, "boolean", false));
          return v instanceof Undefined || (bool && !Py.truthy(v)) ? d : v;
        };
    FILTERS.put("default", dflt);
    FILTERS.put("d", dflt);
    FILTERS.put("upper", (in, v, a, kw, l) -> Py.str(v).toUpperCase(Locale.ROOT));
    FILTERS.put("lower", (in, v, a, kw, l) -> Py.str(v).toLowerCase(Locale.ROOT));
    FILTERS.put("title", (in, v, a, kw, l) -> title(Py.str(v)));
    FILTERS.put("capitalize", (in, v, a, kw, l) -> Methods.capitalize(Py.str(v)));
    FILTERS.put(
        "replace",
        (in, v, a, kw, l) -> {
          Object count = arg(a, kw, 2, "count", null);
          return Methods.replace(
              Py.str(v),
              Py.str(arg(a, kw, 0, "old", "")),
              Py.str(arg(a, kw, 1, "new", "")),
              count == null ? -1 : Py.toLong(count));
        });
    FILTERS.put(
        "first",
        (in, v, a, kw, l) -> {
          List<Object> items = Py.iterate(v, l);
          return items.isEmpty()
              ? new Undefined("No first item, sequence was empty.")
              : items.get(0);
        });
    FILTERS.put(
        "last",
        (in, v, a, kw, l) -> {
          List<Object> items = Py.iterate(v, l);
          return items.isEmpty()
              ? new Undefined("No last item, sequence was empty.")
              : items.get(items.size() - 1);
        });
    FILTERS.put("list", (in, v, a, kw, l) -> new ArrayList<>(Py.iterate(v, l)));
    FILTERS.put("map", Filters::map);
    FILTERS.put("select", (in, v, a, kw, l) -> select(in, v, a, l, false, false));
    FILTERS.put("reject", (in, v, a, kw, l) -> select(in, v, a, l, true, false));
    FILTERS.put("selectattr", (in, v, a, kw, l) -> select(in, v, a, l, false, true));
    FILTERS.put("rejectattr", (in, v, a, kw, l) -> select(in, v, a, l, true, true));
    FILTERS.put(
        "items",
        (in, v, a, kw, l) -> {
          if (v instanceof Undefined) {
            return List.of();
          }
          if (!(v instanceof Map<?, ?> m)) {
            throw Py.typeError(l, "Can only get item pairs from a mapping.");
          }
          List<Object> out = new ArrayList<>();
          m.forEach((k, x) -> out.add(new Py.Tuple(k, x)));
          return out;
        });
    FILTERS.put("dictsort", Filters::dictsort);
    FILTERS.put("string", (in, v, a, kw, l) -> Py.str(v));
    FILTERS.put(
        "format",
        (in, v, a, kw, l) -> {
          if (!kw.isEmpty()) {
            throw JinjaException.unsupported(l, "keyword arguments to filter 'format'");
          }
          return Interpreter.format(Py.str(v), new Py.Tuple(a.toArray()), l);
        });
    FILTERS.put("safe", (in, v, a, kw, l) -> Py.str(v));
    Fn escape = (in, v, a, kw, l) -> escape(Py.str(v));
    FILTERS.put("e", escape);
    FILTERS.put("escape", escape);
    FILTERS.put("int", Filters::toInt);
    FILTERS.put("float", Filters::toFloat);
    FILTERS.put(
        "abs",
        (in, v, a, kw, l) -> {
          if (!Py.isNumber(v)) {
            throw Py.typeError(l, "bad operand type for abs(): '" + Py.typeName(v) + "'");
          }
          return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(v));
        });
    FILTERS.put("round", Filters::round);
    FILTERS.put("indent", Filters::indent);
    FILTERS.put("unique", Filters::unique);
    FILTERS.put(
        "wordcount",
        (in, v, a, kw, l) -> {
          Matcher m = WORD.matcher(Py.str(v));
          long c = 0;
          while (m.find()) {
            c++;
          }
          return c;
        });
    FILTERS.put("batch", Filters::batch);
    FILTERS.put("sum", Filters::sum);
    FILTERS.put("min", (in, v, a, kw, l) -> minMax(in, v, a, kw, l, false));
    FILTERS.put("max", (in, v, a, kw, l) -> minMax(in, v, a, kw, l, true));
    FILTERS.put("sort", Filters::sort);
    FILTERS.put(
        "reverse",
        (in, v, a, kw, l) -> {
          if (v instanceof String s) {
            return new StringBuilder(s).reverse().toString();
          }
          List<Object> out = new ArrayList<>(Py.iterate(v, l));
          java.util.Collections.reverse(out);
          return out;
        });
    FILTERS.put(
        "attr",
        (in, v, a, kw, l) -> {
          // Python getattr only, without the item fallback of '.'
          String name = Py.str(arg(a, kw, 0, "name", ""));
          if (v instanceof Map && Methods.bind(v, name) == null) {
            return Undefined.attribute(v, name);
          }
          return in.getattr(v, name, l);
        });
    FILTERS.put(
        "center",
        (in, v, a, kw, l) -> {
          String s = Py.str(v);
          int w = (int) Py.toLong(arg(a, kw, 0, "width", 80L));
          int pad = w - s.length();
          if (pad <= 0) {
            return s;
          }
          int left = pad / 2 + (pad & w & 1);
          return " ".repeat(left) + s + " ".repeat(pad - left);
        });

    TESTS.put("defined", (in, v, a, l) -> !(v instanceof Undefined));
    TESTS.put("undefined", (in, v, a, l) -> v instanceof Undefined);
    TESTS.put("none", (in, v, a, l) -> v == null);
    TESTS.put("string", (in, v, a, l) -> v instanceof String);
    TESTS.put("number", (in, v, a, l) -> Py.isNumber(v));
    TESTS.put("integer", (in, v, a, l) -> v instanceof Long);
    TESTS.put("float", (in, v, a, l) -> v instanceof Double);
    TESTS.put("mapping", (in, v, a, l) -> v instanceof Map);
    TESTS.put(
        "sequence",
        (in, v, a, l) ->
            v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined);
    TESTS.put(
        "iterable",
        (in, v, a, l) ->
            v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined);
    TESTS.put("boolean", (in, v, a, l) -> v instanceof Boolean);
    TESTS.put("true", (in, v, a, l) -> Boolean.TRUE.equals(v));
    TESTS.put("false", (in, v, a, l) -> Boolean.FALSE.equals(v));
    TESTS.put("even", (in, v, a, l) -> Math.floorMod(needInt(v, l), 2) == 0);
    TESTS.put("odd", (in, v, a, l) -> Math.floorMod(needInt(v, l), 2) == 1);
    TESTS.put(
        "divisibleby",
        (in, v, a, l) -> {
          long d = needInt(a.isEmpty() ? null : a.get(0), l);
          if (d == 0) {
            throw JinjaException.runtime(l, "ZeroDivisionError: integer modulo by zero");
          }
          return Math.floorMod(needInt(v, l), d) == 0;
        });
    TestFn eq = (in, v, a, l) -> Py.eq(v, one(a, l));
    TESTS.put("equalto", eq);
    TESTS.put("eq", eq);
    TESTS.put("==", eq);
    TestFn ne = (in, v, a, l) -> !Py.eq(v, one(a, l));
    TESTS.put("ne", ne);
    TESTS.put("!=", ne);
    for (String[] op : new String[][] {{"lt", "<"}, {"le", "<="}, {"gt", ">"}, {"ge", ">="}}) {
      TestFn t = (in, v, a, l) -> in.compare(op[1], v, one(a, l), l);
      TESTS.put(op[0], t);
      TESTS.put(op[1], t);
    }
    TestFn lt = TESTS.get("lt");
    TESTS.put("lessthan", lt);
    TESTS.put("greaterthan", TESTS.get("gt"));
    TESTS.put("in", (in, v, a, l) -> Py.contains(one(a, l), v, l));
    TESTS.put("callable", (in, v, a, l) -> v instanceof Py.Callable);
    TESTS.put(
        "sameas",
        (in, v, a, l) ->
            v == one(a, l) || (v != null && v.equals(one(a, l)) && (v instanceof Boolean)));
    TESTS.put(
        "lower",
        (in, v, a, l) -> {
          String s = Py.str(v);
          return s.chars().anyMatch(Character::isLowerCase)
              && s.chars().noneMatch(Character::isUpperCase);
        });
    TESTS.put(
        "upper",
        (in, v, a, l) -> {
          String s = Py.str(v);
          return s.chars().anyMatch(Character::isUpperCase)
              && s.chars().noneMatch(Character::isLowerCase);
        });
    TESTS.put("escaped", (in, v, a, l) -> false);
  }

  private static Object one(List<Object> a, int line) {
    if (a.size() != 1) {
      throw Py.typeError(line, "test expected 1 argument, got " + a.size());
    }
    return a.get(0);
  }

  private static long needInt(Object v, int line) {
    if (v instanceof Undefined u) {
      throw u.error(line);
    }
    if (!Py.isInt(v)) {
      throw Py.typeError(line, "expected an integer, got '" + Py.typeName(v) + "'");
    }
    return Py.toLong(v);
  }

  private static Object tojson(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    boolean ascii = Py.truthy(arg(a, kw, 0, "ensure_ascii", false));
    Object indent = arg(a, kw, 1, "indent", null);
    Object seps = arg(a, kw, 2, "separators", null);
    boolean sort = Py.truthy(arg(a, kw, 3, "sort_keys", false));
    String ind = null;
    if (indent instanceof String s) {
      ind = s;
    } else if (indent != null) {
      ind = " ".repeat((int) Math.max(0, needInt(indent, l)));
    }
    String itemSep = ind == null ? ", " : ",";
    String keySep = ": ";
    if (seps != null) {
      List<Object> sp = Py.iterate(seps, l);
      if (sp.size() != 2 || !(sp.get(0) instanceof String) || !(sp.get(1) instanceof String)) {
        throw Py.typeError(l, "tojson separators must be two strings");
      }
      itemSep = (String) sp.get(0);
      keySep = (String) sp.get(1);
    }
    return Json.dumps(v, ind, ascii, itemSep, keySep, sort, l);
  }

  private static Object join(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    String sep = Py.str(arg(a, kw, 0, "d", ""));
    Object attr = arg(a, kw, 1, "attribute", null);
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Object o : Py.iterate(v, l)) {
      if (attr != null) {
        o = attribute(in, o, attr, l);
      }
      sb.append(first ? "" : sep).append(Py.str(o));
      first = false;
      in.checkOutput(sb, l);
    }
    return sb.toString();
  }

  /** Jinja's attribute path ({@code "a.b"}, digits as indices) for map/select/sort/... */
  private static Object attribute(Interpreter in, Object o, Object attr, int l) {
    if (Py.isInt(attr)) {
      return in.getitem(o, attr, l);
    }
    for (String part : Py.str(attr).split("\\.")) {
      if (!part.isEmpty() && part.chars().allMatch(Character::isDigit)) {
        o = in.getitem(o, Long.parseLong(part), l);
      } else {
        o = in.getitem(o, part, l);
      }
    }
    return o;
  }

  private static Object map(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    List<Object> out = new ArrayList<>();
    if (kw.containsKey("attribute")) {
      Object attr = kw.get("attribute");
      boolean hasDefault = kw.containsKey("default");
      for (Object o : Py.iterate(v, l)) {
        Object x = attribute(in, o, attr, l);
        out.add(hasDefault && x instanceof Undefined ? kw.get("default") : x);
      }
      return out;
    }
    if (a.isEmpty()) {
      throw JinjaException.runtime(l, "FilterArgumentError: map requires a filter argument");
    }
    String name = Py.str(a.get(0));
    Fn f = FILTERS.get(name);
    if (f == null) {
      throw JinjaException.unsupported(l, "filter '" + name + "'");
    }
    List<Object> rest = a.subList(1, a.size());
    for (Object o : Py.iterate(v, l)) {
      out.add(f.apply(in, o, rest, kw, l));
    }
    return out;
  }

  private static Object select(
      Interpreter in, Object v, List<Object> a, int l, boolean reject, boolean attr) {
    int off = 0;
    Object attrName = null;
    if (attr) {
      if (a.isEmpty()) {
        throw Py.typeError(l, "missing attribute argument");
      }
      attrName = a.get(0);
      off = 1;
    }
    TestFn test = null;
    List<Object> targs = List.of();
    if (a.size() > off) {
      String name = Py.str(a.get(off));
      test = TESTS.get(name);
      if (test == null) {
        throw JinjaException.unsupported(l, "test '" + name + "'");
      }
      targs = a.subList(off + 1, a.size());
    }
    List<Object> out = new ArrayList<>();
    for (Object o : Py.iterate(v, l)) {
      Object x = attr ? attribute(in, o, attrName, l) : o;
      boolean ok = test == null ? Py.truthy(x) : test.test(in, x, targs, l);
      if (ok != reject) {
        out.add(o);
      }
    }
    return out;
  }

  private static Object dictsort(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    if (!(v instanceof Map<?, ?> m)) {
      throw Py.typeError(l, "dictsort needs a mapping");
    }
    boolean cs = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
    String by = Py.str(arg(a, kw, 1, "by", "key"));
    boolean rev = Py.truthy(arg(a, kw, 2, "reverse", false));
    int pos = by.equals("key") ? 0 : by.equals("value") ? 1 : -1;
    if (pos < 0) {
      throw JinjaException.runtime(
          l, "FilterArgumentError: You can only sort by either \"key\" or \"value\"");
    }
    List<Object> out = new ArrayList<>();
    m.forEach((k, x) -> out.add(new Py.Tuple(k, x)));
    Comparator<Object> c =
        (x, y) ->
            Py.compare(fold(((List<?>) x).get(pos), cs), fold(((List<?>) y).get(pos), cs), "<", l);
    out.sort(rev ? c.reversed() : c);
    return out;
  }

  private static Object fold(Object o, boolean caseSensitive) {
    return !caseSensitive && o instanceof String s ? s.toLowerCase(Locale.ROOT) : o;
  }

  private static Object sort(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    boolean rev = Py.truthy(arg(a, kw, 0, "reverse", false));
    boolean cs = Py.truthy(arg(a, kw, 1, "case_sensitive", false));
    Object attr = arg(a, kw, 2, "attribute", null);
    List<Object> out = new ArrayList<>(Py.iterate(v, l));
    Comparator<Object> c =
        (x, y) -> {
          Object kx = attr == null ? x : attribute(in, x, attr, l);
          Object ky = attr == null ? y : attribute(in, y, attr, l);
          return Py.compare(fold(kx, cs), fold(ky, cs), "<", l);
        };
    out.sort(rev ? c.reversed() : c);
    return out;
  }

  private static Object minMax(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l, boolean max) {
    boolean cs = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
    Object attr = arg(a, kw, 1, "attribute", null);
    Object best = null;
    Object bestKey = null;
    boolean any = false;
    for (Object o : Py.iterate(v, l)) {
      Object k = fold(attr == null ? o : attribute(in, o, attr, l), cs);
      if (!any || (max ? Py.compare(k, bestKey, ">", l) > 0 : Py.compare(k, bestKey, "<", l) < 0)) {
        best = o;
        bestKey = k;
        any = true;
      }
    }
    return any ? best : new Undefined("No aggregated item, sequence was empty.");
  }

  private static Object sum(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    Object attr = arg(a, kw, 0, "attribute", null);
    Object total = arg(a, kw, 1, "start", 0L);
    for (Object o : Py.iterate(v, l)) {
      total = in.binary("+", total, attr == null ? o : attribute(in, o, attr, l), l);
    }
    return total;
  }

  private static Object unique(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    boolean cs = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
    Object attr = arg(a, kw, 1, "attribute", null);
    List<Object> out = new ArrayList<>();
    List<Object> seen = new ArrayList<>();
    for (Object o : Py.iterate(v, l)) {
      Object k = fold(attr == null ? o : attribute(in, o, attr, l), cs);
      boolean dup = false;
      for (Object s : seen) {
        if (Py.eq(s, k)) {
          dup = true;
          break;
        }
      }
      if (!dup) {
        seen.add(k);
        out.add(o);
      }
    }
    return out;
  }

  private static Object batch(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    long n = needInt(arg(a, kw, 0, "linecount", null), l);
    if (n <= 0) {
      throw JinjaException.runtime(l, "ValueError: batch size must be positive");
    }
    boolean fill = a.size() > 1 || kw.containsKey("fill_with");
    Object with = arg(a, kw, 1, "fill_with", null);
    List<Object> out = new ArrayList<>();
    List<Object> cur = new ArrayList<>();
    for (Object o : Py.iterate(v, l)) {
      cur.add(o);
      if (cur.size() == n) {
        out.add(cur);
        cur = new ArrayList<>();
      }
    }
    if (!cur.isEmpty()) {
      while (fill && cur.size() < n) {
        cur.add(with);
      }
      out.add(cur);
    }
    return out;
  }

  private static Object toInt(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    Object dflt = arg(a, kw, 0, "default", 0L);
    long base = Py.toLong(arg(a, kw, 1, "base", 10L));
    if (Py.isInt(v)) {
      return Py.toLong(v);
    }
    if (v instanceof Double d) {
      return d.isNaN() || d.isInfinite() ? dflt : (Object) (long) (double) d;
    }
    if (v instanceof String s) {
      String t = s.strip().replace("_", "");
      boolean negative = t.startsWith("-");
      String digits = t.startsWith("+") || negative ? t.substring(1) : t;
      String lower = digits.toLowerCase(Locale.ROOT);
      int b = (int) base;
      for (String[] pre : new String[][] {{"0x", "16"}, {"0o", "8"}, {"0b", "2"}}) {
        int pb = Integer.parseInt(pre[1]);
        if (lower.startsWith(pre[0]) && (b == pb || b == 0)) {
          digits = digits.substring(2);
          b = pb;
        }
      }
      if (b == 0) {
        b = 10;
      }
      try {
        long parsed = Long.parseLong(digits, b);
        return negative ? -parsed : parsed;
      } catch (NumberFormatException e) {
        try {
          return (long) Double.parseDouble(t);
        } catch (NumberFormatException e2) {
          return dflt;
        }
      }
    }
    return dflt;
  }

  private static Object toFloat(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    Object dflt = arg(a, kw, 0, "default", 0.0);
    if (Py.isNumber(v)) {
      return Py.toDouble(v);
    }
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.strip());
      } catch (NumberFormatException e) {
        return dflt;
      }
    }
    return dflt;
  }

  private static Object round(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    long precision = Py.toLong(arg(a, kw, 0, "precision", 0L));
    String method = Py.str(arg(a, kw, 1, "method", "common"));
    if (!Py.isNumber(v)) {
      throw Py.typeError(l, "type " + Py.typeName(v) + " doesn't define __round__ method");
    }
    RoundingMode mode;
    switch (method) {
      case "common" -> mode = RoundingMode.HALF_EVEN;
      case "floor" -> mode = RoundingMode.FLOOR;
      case "ceil" -> mode = RoundingMode.CEILING;
      default ->
          throw JinjaException.runtime(
              l, "FilterArgumentError: method must be common, ceil or floor");
    }
    if (Py.isInt(v) && mode == RoundingMode.HALF_EVEN) {
      return Py.toLong(v);
    }
    double d = Py.toDouble(v);
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return d;
    }
    return new BigDecimal(d).setScale((int) precision, mode).doubleValue();
  }

  private static Object indent(
      Interpreter in, Object v, List<Object> a, Map<String, Object> kw, int l) {
    Object width = arg(a, kw, 0, "width", 4L);
    boolean first = Py.truthy(arg(a, kw, 1, "first", false));
    boolean blank = Py.truthy(arg(a, kw, 2, "blank", false));
    String ind = width instanceof String s ? s : " ".repeat((int) Math.max(0, needInt(width, l)));
    String s = Py.str(v) + "\n";
    List<String> lines = new ArrayList<>(List.of(LINES.split(s, -1)));
    lines.remove(lines.size() - 1);
    String rv;
    if (blank) {
      rv = String.join("\n" + ind, lines);
    } else {
      StringBuilder sb = new StringBuilder(lines.isEmpty() ? "" : lines.get(0));
      if (lines.size() > 1) {
        sb.append('\n');
        for (int i = 1; i < lines.size(); i++) {
          String line = lines.get(i);
          sb.append(i > 1 ? "\n" : "").append(line.isEmpty() ? "" : ind).append(line);
        }
      }
      rv = sb.toString();
    }
    return first ? ind + rv : rv;
  }

  static String title(String s) {
    StringBuilder sb = new StringBuilder();
    Matcher m = TITLE_SPLIT.matcher(s);
    int last = 0;
    List<String> parts = new ArrayList<>();
    while (m.find()) {
      parts.add(s.substring(last, m.start()));
      parts.add(m.group());
      last = m.end();
    }
    parts.add(s.substring(last));
    for (String p : parts) {
      if (!p.isEmpty()) {
        int cp = p.codePointAt(0);
        int n = Character.charCount(cp);
        sb.append(new String(Character.toChars(cp)).toUpperCase(Locale.ROOT))
            .append(p.substring(n).toLowerCase(Locale.ROOT));
      }
    }
    return sb.toString();
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&#34;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
