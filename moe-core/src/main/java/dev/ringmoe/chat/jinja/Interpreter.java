package dev.ringmoe.chat.jinja;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rendering: the variable scopes, the bounds, and Jinja's operations on values (attribute and
 * item lookup, calls, operators) with Python's semantics and Jinja's default-undefined rules. Not
 * thread-safe; one instance per render.
 */
final class Interpreter {

  static final int MAX_STEPS = 1_000_000;
  static final int MAX_DEPTH = 100;
  static final int MAX_OUTPUT = 16 << 20;

  static final class Break extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Break() {
      super(null, null, false, false);
    }
  }

  static final class Continue extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Continue() {
      super(null, null, false, false);
    }
  }

  static final Break BREAK = new Break();
  static final Continue CONTINUE = new Continue();

  static final class Scope {
    final Map<String, Object> vars = new HashMap<>();
    final Scope parent;

    Scope(Scope parent) {
      this.parent = parent;
    }
  }

  /** A macro (or a call block's {@code caller}) closed over the scope it was defined in. */
  static final class Macro implements Py.Callable {
    final Node.MacroDef def;
    final Scope closure;

    Macro(Node.MacroDef def, Scope closure) {
      this.def = def;
      this.closure = closure;
    }

    @Override
    public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs, int line) {
      if (++in.depth > MAX_DEPTH) {
        throw new JinjaException(
            JinjaException.Kind.LIMIT,
            "macro '"
                + def.name
                + "' nested deeper than "
                + MAX_DEPTH
                + " calls (line "
                + line
                + ")");
      }
      in.tick(line);
      Scope saved = in.scope;
      in.scope = new Scope(closure);
      try {
        Map<String, Object> kw = new LinkedHashMap<>(kwargs);
        List<Object> varargs = new ArrayList<>();
        for (int i = 0; i < def.params.size(); i++) {
          String name = def.params.get(i);
          Object v;
          if (i < args.size()) {
            v = args.get(i);
          } else if (kw.containsKey(name)) {
            v = kw.remove(name);
          } else if (def.defaults.get(i) != null) {
            v = def.defaults.get(i).eval(in);
          } else {
            v = new Undefined("parameter '" + name + "' was not provided");
          }
          in.scope.vars.put(name, v);
        }
        for (int i = def.params.size(); i < args.size(); i++) {
          varargs.add(args.get(i));
        }
        if (kw.containsKey("caller")) {
          in.scope.vars.put("caller", kw.remove("caller"));
        }
        in.scope.vars.put("varargs", new Py.Tuple(varargs.toArray()));
        in.scope.vars.put("kwargs", kw);
        StringBuilder sb = new StringBuilder();
        Node.execAll(def.body, in, sb);
        return sb.toString();
      } finally {
        in.scope = saved;
        in.depth--;
      }
    }
  }

  final Clock clock;
  Scope scope;
  private int steps;
  private int depth;

  Interpreter(Map<String, Object> variables, Clock clock) {
    this.clock = clock;
    Scope globals = new Scope(null);
    globals.vars.putAll(Globals.functions());
    Scope root = new Scope(globals);
    root.vars.putAll(variables);
    this.scope = root;
  }

  // ---- scopes and bounds ----

  Scope push() {
    Scope saved = scope;
    scope = new Scope(scope);
    return saved;
  }

  void pop(Scope saved) {
    scope = saved;
  }

  Object lookup(String name) {
    for (Scope s = scope; s != null; s = s.parent) {
      Object v = s.vars.get(name);
      if (v != null || s.vars.containsKey(name)) {
        return v;
      }
    }
    return Undefined.name(name);
  }

  void tick(int line) {
    if (++steps > MAX_STEPS) {
      throw new JinjaException(
          JinjaException.Kind.LIMIT,
          "template ran more than " + MAX_STEPS + " loop iterations and calls (line " + line + ")");
    }
  }

  void checkOutput(CharSequence s, int line) {
    checkLength(s.length(), line);
  }

  /**
   * Strings are bounded like the output, so that doubling a string in a loop cannot exhaust memory.
   */
  void checkLength(long length, int line) {
    if (length > MAX_OUTPUT) {
      throw new JinjaException(
          JinjaException.Kind.LIMIT,
          "template output beyond " + MAX_OUTPUT + " characters (line " + line + ")");
    }
  }

  void assign(List<String> targets, boolean unpack, Object value, int line) {
    if (!unpack) {
      scope.vars.put(targets.get(0), value);
      return;
    }
    List<Object> items = Py.iterate(value, line);
    if (items.size() != targets.size()) {
      throw JinjaException.runtime(
          line,
          "ValueError: cannot unpack "
              + items.size()
              + " values into "
              + targets.size()
              + " names");
    }
    for (int i = 0; i < targets.size(); i++) {
      scope.vars.put(targets.get(i), items.get(i));
    }
  }

  void setNamespaceAttr(String name, String attr, Object value, int line) {
    Object ns = lookup(name);
    if (!(ns instanceof Namespace n)) {
      throw JinjaException.runtime(
          line, "TemplateRuntimeError: cannot assign attribute on non-namespace object");
    }
    n.attrs.put(attr, value);
  }

  // ---- lookups ----

  Object getattr(Object obj, String name, int line) {
    if (obj instanceof Undefined u) {
      throw u.error(line);
    }
    if (obj instanceof Namespace ns) {
      Object v = ns.attrs.get(name);
      return v != null || ns.attrs.containsKey(name) ? v : Undefined.attribute(obj, name);
    }
    if (obj instanceof Loop loop) {
      return loop.attr(name, line);
    }
    Py.Callable m = Methods.bind(obj, name);
    if (m != null) {
      return m;
    }
    if (obj instanceof Map<?, ?> map) {
      Object v = map.get(name);
      return v != null || map.containsKey(name) ? v : Undefined.attribute(obj, name);
    }
    return Undefined.attribute(obj, name);
  }

  Object getitem(Object obj, Object key, int line) {
    if (obj instanceof Undefined u) {
      throw u.error(line);
    }
    if (key instanceof Undefined u) {
      throw u.error(line);
    }
    if (obj instanceof Map<?, ?> map) {
      if (key instanceof String || key == null || Py.isNumber(key)) {
        Object v = map.get(key);
        if (v != null || map.containsKey(key)) {
          return v;
        }
      }
    } else if ((obj instanceof List || obj instanceof String) && Py.isInt(key)) {
      List<Object> l = obj instanceof String s ? chars(s) : Py.iterate(obj, line);
      long i = Py.toLong(key);
      if (i < 0) {
        i += l.size();
      }
      if (i >= 0 && i < l.size()) {
        return l.get((int) i);
      }
      return new Undefined(Py.typeName(obj) + " object has no element " + key);
    }
    if (key instanceof String s) {
      return getattr(obj, s, line);
    }
    return new Undefined(Py.typeName(obj) + " object has no element " + Py.repr(key));
  }

  Object slice(Object obj, Object start, Object stop, Object step, int line) {
    for (Object o : new Object[] {start, stop, step}) {
      if (o != null && !Py.isInt(o)) {
        throw Py.typeError(line, "slice indices must be integers or None");
      }
    }
    if (!(obj instanceof List || obj instanceof String)) {
      return new Undefined(Py.typeName(obj) + " object cannot be sliced");
    }
    List<Object> l = obj instanceof String s ? chars(s) : Py.iterate(obj, line);
    int n = l.size();
    long st = step == null ? 1 : Py.toLong(step);
    if (st == 0) {
      throw JinjaException.runtime(line, "ValueError: slice step cannot be zero");
    }
    long a;
    long b;
    if (st > 0) {
      a = start == null ? 0 : clampIndex(Py.toLong(start), n, 0, n);
      b = stop == null ? n : clampIndex(Py.toLong(stop), n, 0, n);
    } else {
      a = start == null ? n - 1 : clampIndex(Py.toLong(start), n, -1, n - 1);
      b = stop == null ? -1 : clampIndex(Py.toLong(stop), n, -1, n - 1);
    }
    List<Object> out = new ArrayList<>();
    for (long i = a; st > 0 ? i < b : i > b; i += st) {
      out.add(l.get((int) i));
    }
    if (obj instanceof String) {
      StringBuilder sb = new StringBuilder();
      out.forEach(c -> sb.append((String) c));
      return sb.toString();
    }
    return obj instanceof Py.Tuple ? new Py.Tuple(out.toArray()) : out;
  }

  private String charsOf;
  private List<Object> chars;

  /**
   * A string's characters (code points), kept for the last string asked: a loop indexing one long
   * message content then costs its length once, not once per index.
   */
  private List<Object> chars(String s) {
    if (s != charsOf) {
      chars = Py.chars(s);
      charsOf = s;
    }
    return chars;
  }

  private static long clampIndex(long i, int n, long lo, long hi) {
    if (i < 0) {
      i += n;
    }
    return Math.max(lo, Math.min(hi, i));
  }

  Object call(Object fn, List<Object> args, Map<String, Object> kwargs, int line) {
    if (fn instanceof Undefined u) {
      throw u.error(line);
    }
    if (fn instanceof Py.Callable c) {
      return c.call(this, args, kwargs, line);
    }
    throw Py.typeError(line, "'" + Py.typeName(fn) + "' object is not callable");
  }

  // ---- operators ----

  Object unary(String op, Object v, int line) {
    if (v instanceof Undefined u) {
      throw u.error(line);
    }
    if (!Py.isNumber(v)) {
      throw Py.typeError(line, "bad operand type for unary " + op + ": '" + Py.typeName(v) + "'");
    }
    if (op.equals("+")) {
      return v instanceof Boolean ? (Object) Py.toLong(v) : v;
    }
    return v instanceof Double d ? (Object) (-d) : (Object) (-Py.toLong(v));
  }

  Object binary(String op, Object a, Object b, int line) {
    if (op.equals("~")) {
      String sa = Py.str(a);
      String sb = Py.str(b);
      checkLength((long) sa.length() + sb.length(), line);
      return sa + sb;
    }
    if (a instanceof Undefined u) {
      throw u.error(line);
    }
    if (b instanceof Undefined u) {
      throw u.error(line);
    }
    if (Py.isNumber(a) && Py.isNumber(b)) {
      return arithmetic(op, a, b, line);
    }
    if (op.equals("+")) {
      if (a instanceof String sa && b instanceof String sb) {
        checkLength((long) sa.length() + sb.length(), line);
        return sa + sb;
      }
      if (a instanceof List<?> la
          && b instanceof List<?> lb
          && (a instanceof Py.Tuple) == (b instanceof Py.Tuple)) {
        List<Object> out = new ArrayList<>(la);
        out.addAll(lb);
        return a instanceof Py.Tuple ? new Py.Tuple(out.toArray()) : out;
      }
    }
    if (op.equals("*")) {
      if ((a instanceof String || a instanceof List) && Py.isInt(b)) {
        return repeat(a, Py.toLong(b), line);
      }
      if ((b instanceof String || b instanceof List) && Py.isInt(a)) {
        return repeat(b, Py.toLong(a), line);
      }
    }
    if (op.equals("+") && (a instanceof String || a instanceof List)) {
      String t = Py.typeName(a);
      throw Py.typeError(
          line, "can only concatenate " + t + " (not \"" + Py.typeName(b) + "\") to " + t);
    }
    if (op.equals("%") && a instanceof String s) {
      return format(s, b, line);
    }
    throw Py.typeError(
        line,
        "unsupported operand type(s) for "
            + op
            + ": '"
            + Py.typeName(a)
            + "' and '"
            + Py.typeName(b)
            + "'");
  }

  /** Python's {@code str % args} for the conversions {@code %s %r %d %i %%}. */
  static String format(String f, Object args, int line) {
    List<Object> vals = args instanceof Py.Tuple t ? new ArrayList<>(t) : List.of(args);
    StringBuilder sb = new StringBuilder();
    int next = 0;
    for (int i = 0; i < f.length(); i++) {
      char c = f.charAt(i);
      if (c != '%') {
        sb.append(c);
        continue;
      }
      if (++i >= f.length()) {
        throw JinjaException.runtime(line, "ValueError: incomplete format");
      }
      char conv = f.charAt(i);
      if (conv == '%') {
        sb.append('%');
        continue;
      }
      if (next >= vals.size()) {
        throw Py.typeError(line, "not enough arguments for format string");
      }
      Object v = vals.get(next++);
      switch (conv) {
        case 's' -> sb.append(Py.str(v));
        case 'r' -> sb.append(Py.repr(v));
        case 'd', 'i' -> {
          if (!Py.isNumber(v)) {
            throw Py.typeError(
                line, "%" + conv + " format: a real number is required, not " + Py.typeName(v));
          }
          sb.append(v instanceof Double d ? (long) (double) d : Py.toLong(v));
        }
        default ->
            throw JinjaException.unsupported(line, "string format conversion '%" + conv + "'");
      }
    }
    if (next < vals.size()) {
      throw Py.typeError(line, "not all arguments converted during string formatting");
    }
    return sb.toString();
  }

  private Object repeat(Object v, long n, int line) {
    long len = v instanceof String s ? s.length() : ((List<?>) v).size();
    if (n > 0 && len * n > MAX_OUTPUT) {
      throw new JinjaException(
          JinjaException.Kind.LIMIT,
          "repetition beyond " + MAX_OUTPUT + " items (line " + line + ")");
    }
    if (v instanceof String s) {
      return n <= 0 ? "" : s.repeat((int) n);
    }
    List<Object> out = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      out.addAll((List<?>) v);
    }
    return out;
  }

  private static Object arithmetic(String op, Object a, Object b, int line) {
    boolean ints = Py.isInt(a) && Py.isInt(b);
    if (ints && !op.equals("/")) {
      long x = Py.toLong(a);
      long y = Py.toLong(b);
      switch (op) {
        case "+":
          return Math.addExact(x, y);
        case "-":
          return Math.subtractExact(x, y);
        case "*":
          return Math.multiplyExact(x, y);
        case "//":
          if (y == 0) {
            throw JinjaException.runtime(
                line, "ZeroDivisionError: integer division or modulo by zero");
          }
          return Math.floorDiv(x, y);
        case "%":
          if (y == 0) {
            throw JinjaException.runtime(line, "ZeroDivisionError: integer modulo by zero");
          }
          return Math.floorMod(x, y);
        case "**":
          if (y >= 0) {
            long r = 1;
            for (long i = 0; i < y; i++) {
              r = Math.multiplyExact(r, x);
            }
            return r;
          }
          return Math.pow(x, y);
        default:
          break;
      }
    }
    double x = Py.toDouble(a);
    double y = Py.toDouble(b);
    switch (op) {
      case "+":
        return x + y;
      case "-":
        return x - y;
      case "*":
        return x * y;
      case "/":
        if (y == 0) {
          throw JinjaException.runtime(line, "ZeroDivisionError: division by zero");
        }
        return x / y;
      case "//":
        if (y == 0) {
          throw JinjaException.runtime(line, "ZeroDivisionError: float floor division by zero");
        }
        return Math.floor(x / y);
      case "%":
        if (y == 0) {
          throw JinjaException.runtime(line, "ZeroDivisionError: float modulo");
        }
        double m = x % y;
        return m != 0 && (m < 0) != (y < 0) ? m + y : m;
      case "**":
        return Math.pow(x, y);
      default:
        throw new IllegalStateException(op);
    }
  }

  boolean compare(String op, Object a, Object b, int line) {
    switch (op) {
      case "==":
        return Py.eq(a, b);
      case "!=":
        return !Py.eq(a, b);
      case "in":
        return Py.contains(b, a, line);
      case "not in":
        return !Py.contains(b, a, line);
      default:
        int c = Py.compare(a, b, op, line);
        return switch (op) {
          case "<" -> c < 0;
          case "<=" -> c <= 0;
          case ">" -> c > 0;
          default -> c >= 0;
        };
    }
  }
}
