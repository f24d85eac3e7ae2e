package dev.ringmoe.chat.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.AbstractList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The global functions: Jinja's {@code range}, {@code namespace}, {@code dict}, and the two that
 * transformers adds, {@code raise_exception(message)} and {@code strftime_now(format)}.
 */
final class Globals {

  private Globals() {}

  static Map<String, Object> functions() {
    Map<String, Object> g = new HashMap<>();
    g.put("range", (Py.Callable) Globals::range);
    g.put("namespace", (Py.Callable) Globals::namespace);
    g.put(
        "dict",
        (Py.Callable)
            (in, args, kw, line) -> {
              Map<Object, Object> m = new LinkedHashMap<>();
              if (!args.isEmpty() && args.get(0) instanceof Map<?, ?> src) {
                m.putAll(src);
              }
              m.putAll(kw);
              return m;
            });
    g.put(
        "raise_exception",
        (Py.Callable)
            (in, args, kw, line) -> {
              Object msg = args.isEmpty() ? kw.get("message") : args.get(0);
              throw new JinjaException(JinjaException.Kind.RAISED, Py.str(msg));
            });
    g.put(
        "strftime_now",
        (Py.Callable)
            (in, args, kw, line) -> {
              if (args.isEmpty() || !(args.get(0) instanceof String f)) {
                throw Py.typeError(line, "strftime_now() needs a format string");
              }
              return strftime(f, LocalDateTime.now(in.clock), line);
            });
    return g;
  }

  private static Object range(Interpreter in, List<Object> args, Map<String, Object> kw, int line) {
    for (Object a : args) {
      if (!Py.isInt(a)) {
        throw Py.typeError(
            line, "'" + Py.typeName(a) + "' object cannot be interpreted as an integer");
      }
    }
    long start = 0;
    long stop;
    long step = 1;
    if (args.size() == 1) {
      stop = Py.toLong(args.get(0));
    } else if (args.size() == 2 || args.size() == 3) {
      start = Py.toLong(args.get(0));
      stop = Py.toLong(args.get(1));
      if (args.size() == 3) {
        step = Py.toLong(args.get(2));
      }
    } else {
      throw Py.typeError(line, "range expected 1 to 3 arguments, got " + args.size());
    }
    if (step == 0) {
      throw JinjaException.runtime(line, "ValueError: range() arg 3 must not be zero");
    }
    long n =
        step > 0
            ? Math.max(0, (stop - start + step - 1) / step)
            : Math.max(0, (start - stop - step - 1) / -step);
    if (n > Interpreter.MAX_STEPS) {
      throw new JinjaException(
          JinjaException.Kind.LIMIT,
          "range of " + n + " items beyond " + Interpreter.MAX_STEPS + " (line " + line + ")");
    }
    final long s0 = start;
    final long st = step;
    final int size = (int) n;
    return new AbstractList<Object>() {
      @Override
      public Object get(int i) {
        return s0 + i * st;
      }

      @Override
      public int size() {
        return size;
      }
    };
  }

  private static Object namespace(
      Interpreter in, List<Object> args, Map<String, Object> kw, int line) {
    Namespace ns = new Namespace();
    for (Object a : args) {
      if (a instanceof Map<?, ?> m) {
        m.forEach((k, v) -> ns.attrs.put(Py.str(k), v));
      } else {
        throw Py.typeError(line, "namespace() takes mappings and keyword arguments");
      }
    }
    ns.attrs.putAll(kw);
    return ns;
  }

  static String strftime(String f, LocalDateTime t, int line) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < f.length(); i++) {
      char c = f.charAt(i);
      if (c != '%' || i + 1 == f.length()) {
        sb.append(c);
        continue;
      }
      char d = f.charAt(++i);
      switch (d) {
        case 'Y' -> sb.append(String.format("%04d", t.getYear()));
        case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
        case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
        case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
        case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
        case 'H' -> sb.append(String.format("%02d", t.getHour()));
        case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
        case 'M' -> sb.append(String.format("%02d", t.getMinute()));
        case 'S' -> sb.append(String.format("%02d", t.getSecond()));
        case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
        case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
        case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'w' -> sb.append(t.getDayOfWeek().getValue() % 7);
        case 'u' -> sb.append(t.getDayOfWeek().getValue());
        case '%' -> sb.append('%');
        default -> throw JinjaException.unsupported(line, "strftime directive '%" + d + "'");
      }
    }
    return sb.toString();
  }
}
