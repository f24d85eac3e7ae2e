package dev.ringmoe.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python's str, dict and list methods that templates call ({@code s.strip()}, {@code d.items()},
 * ...). Mutating methods ({@code append}, {@code update}, ...) are absent, as in transformers'
 * immutable sandbox: looking one up gives an undefined value that fails when called.
 */
final class Methods {

  private Methods() {}

  private static final Set<String> STR =
      Set.of(
          "strip",
          "lstrip",
          "rstrip",
          "split",
          "rsplit",
          "splitlines",
          "startswith",
          "endswith",
          "replace",
          "upper",
          "lower",
          "title",
          "capitalize",
          "find",
          "rfind",
          "index",
          "count",
          "join",
          "isdigit",
          "isalpha",
          "isalnum",
          "isspace",
          "islower",
          "isupper",
          "zfill",
          "removeprefix",
          "removesuffix",
          "format");
  private static final Set<String> DICT = Set.of("items", "keys", "values", "get");
  private static final Set<String> LIST = Set.of("index", "count");

  static Py.Callable bind(Object obj, String name) {
    if (obj instanceof String s && STR.contains(name)) {
      return (in, args, kw, line) -> str(s, name, args, kw, line);
    }
    if (obj instanceof Map<?, ?> m && DICT.contains(name)) {
      return (in, args, kw, line) -> dict(m, name, args, line);
    }
    if (obj instanceof List<?> l && LIST.contains(name)) {
      return (in, args, kw, line) -> list(l, name, args, line);
    }
    return null;
  }

  static Object arg(List<Object> args, Map<String, Object> kw, int i, String name, Object dflt) {
    if (i < args.size()) {
      return args.get(i);
    }
    return kw.containsKey(name) ? kw.get(name) : dflt;
  }

  private static String needStr(Object v, String method, int line) {
    if (v instanceof String s) {
      return s;
    }
    throw Py.typeError(line, method + " arg must be None or str, not " + Py.typeName(v));
  }

  static String strip(String s, Object chars, boolean left, boolean right, int line) {
    String cs = chars == null ? null : needStr(chars, "strip", line);
    int a = 0;
    int b = s.length();
    while (left && a < b && (cs == null ? Py.isSpace(s.charAt(a)) : cs.indexOf(s.charAt(a)) >= 0)) {
      a++;
    }
    while (right
        && b > a
        && (cs == null ? Py.isSpace(s.charAt(b - 1)) : cs.indexOf(s.charAt(b - 1)) >= 0)) {
      b--;
    }
    return s.substring(a, b);
  }

  static List<Object> split(String s, Object sep, long max, int line) {
    List<Object> out = new ArrayList<>();
    if (sep == null) {
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && Py.isSpace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          break;
        }
        if (max >= 0 && out.size() == max) {
          out.add(strip(s.substring(i), null, false, true, line));
          break;
        }
        int j = i;
        while (j < n && !Py.isSpace(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
      return out;
    }
    String sp = needStr(sep, "split", line);
    if (sp.isEmpty()) {
      throw JinjaException.runtime(line, "ValueError: empty separator");
    }
    int i = 0;
    while (max < 0 || out.size() < max) {
      int j = s.indexOf(sp, i);
      if (j < 0) {
        break;
      }
      out.add(s.substring(i, j));
      i = j + sp.length();
    }
    out.add(s.substring(i));
    return out;
  }

  private static List<Object> rsplit(String s, Object sep, long max, int line) {
    if (max < 0 || sep == null) {
      if (sep == null && max >= 0) {
        throw JinjaException.unsupported(line, "str.rsplit with maxsplit and no separator");
      }
      return split(s, sep, -1, line);
    }
    String sp = needStr(sep, "rsplit", line);
    if (sp.isEmpty()) {
      throw JinjaException.runtime(line, "ValueError: empty separator");
    }
    List<Object> out = new ArrayList<>();
    int end = s.length();
    while (out.size() < max) {
      int j = s.lastIndexOf(sp, end - sp.length());
      if (j < 0) {
        break;
      }
      out.add(0, s.substring(j + sp.length(), end));
      end = j;
    }
    out.add(0, s.substring(0, end));
    return out;
  }

  private static boolean affix(String s, Object arg, boolean start, int line) {
    if (arg instanceof List<?> l && arg instanceof Py.Tuple) {
      for (Object o : l) {
        if (affix(s, o, start, line)) {
          return true;
        }
      }
      return false;
    }
    if (!(arg instanceof String p)) {
      throw Py.typeError(
          line,
          (start ? "startswith" : "endswith")
              + " first arg must be str or a tuple of str, not "
              + Py.typeName(arg));
    }
    return start ? s.startsWith(p) : s.endsWith(p);
  }

  static String title(String s) {
    StringBuilder sb = new StringBuilder();
    boolean prevCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean cased =
          Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
      sb.append(cased ? (prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
      prevCased = cased;
    }
    return sb.toString();
  }

  static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.codePointAt(0);
    int n = Character.charCount(first);
    return new String(Character.toChars(Character.toTitleCase(first)))
        + s.substring(n).toLowerCase(java.util.Locale.ROOT);
  }

  private static Object str(
      String s, String name, List<Object> args, Map<String, Object> kw, int line) {
    switch (name) {
      case "strip":
        return strip(s, arg(args, kw, 0, "chars", null), true, true, line);
      case "lstrip":
        return strip(s, arg(args, kw, 0, "chars", null), true, false, line);
      case "rstrip":
        return strip(s, arg(args, kw, 0, "chars", null), false, true, line);
      case "split":
        return split(
            s, arg(args, kw, 0, "sep", null), Py.toLong(arg(args, kw, 1, "maxsplit", -1L)), line);
      case "rsplit":
        return rsplit(
            s, arg(args, kw, 0, "sep", null), Py.toLong(arg(args, kw, 1, "maxsplit", -1L)), line);
      case "splitlines":
        {
          List<Object> out = new ArrayList<>(List.of((Object[]) s.split("\r\n|\r|\n", -1)));
          if (!out.isEmpty() && "".equals(out.get(out.size() - 1))) {
            out.remove(out.size() - 1);
          }
          return out;
        }
      case "startswith":
        return affix(s, arg(args, kw, 0, "prefix", null), true, line);
      case "endswith":
        return affix(s, arg(args, kw, 0, "suffix", null), false, line);
      case "replace":
        {
          String old = needStr(arg(args, kw, 0, "old", null), "replace", line);
          String nw = needStr(arg(args, kw, 1, "new", null), "replace", line);
          long count = Py.toLong(arg(args, kw, 2, "count", -1L));
          return replace(s, old, nw, count);
        }
      case "upper":
        return s.toUpperCase(java.util.Locale.ROOT);
      case "lower":
        return s.toLowerCase(java.util.Locale.ROOT);
      case "title":
        return title(s);
      case "capitalize":
        return capitalize(s);
      case "find":
        return (long) s.indexOf(needStr(arg(args, kw, 0, "sub", null), "find", line));
      case "rfind":
        return (long) s.lastIndexOf(needStr(arg(args, kw, 0, "sub", null), "rfind", line));
      case "index":
        {
          int i = s.indexOf(needStr(arg(args, kw, 0, "sub", null), "index", line));
          if (i < 0) {
            throw JinjaException.runtime(line, "ValueError: substring not found");
          }
          return (long) i;
        }
      case "count":
        {
          String sub = needStr(arg(args, kw, 0, "sub", null), "count", line);
          if (sub.isEmpty()) {
            return (long) s.codePointCount(0, s.length()) + 1;
          }
          long c = 0;
          for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            c++;
          }
          return c;
        }
      case "join":
        {
          StringBuilder sb = new StringBuilder();
          boolean first = true;
          for (Object o : Py.iterate(arg(args, kw, 0, "iterable", null), line)) {
            if (!(o instanceof String os)) {
              throw Py.typeError(
                  line, "sequence item: expected str instance, " + Py.typeName(o) + " found");
            }
            sb.append(first ? "" : s).append(os);
            first = false;
          }
          return sb.toString();
        }
      case "isdigit":
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      case "isalpha":
        return !s.isEmpty() && s.chars().allMatch(Character::isLetter);
      case "isalnum":
        return !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
      case "isspace":
        return !s.isEmpty() && s.chars().allMatch(Py::isSpace);
      case "islower":
        return s.chars().anyMatch(Character::isLowerCase)
            && s.chars().noneMatch(Character::isUpperCase);
      case "isupper":
        return s.chars().anyMatch(Character::isUpperCase)
            && s.chars().noneMatch(Character::isLowerCase);
      case "zfill":
        {
          long w = Py.toLong(arg(args, kw, 0, "width", 0L));
          StringBuilder sb = new StringBuilder(s);
          int at = s.startsWith("-") || s.startsWith("+") ? 1 : 0;
          while (sb.length() < w) {
            sb.insert(at, '0');
          }
          return sb.toString();
        }
      case "format":
        return format(s, args, kw, line);
      case "removeprefix":
        {
          String p = needStr(arg(args, kw, 0, "prefix", null), "removeprefix", line);
          return s.startsWith(p) ? s.substring(p.length()) : s;
        }
      case "removesuffix":
        {
          String p = needStr(arg(args, kw, 0, "suffix", null), "removesuffix", line);
          return s.endsWith(p) && !p.isEmpty() ? s.substring(0, s.length() - p.length()) : s;
        }
      default:
        throw new IllegalStateException(name);
    }
  }

  /**
   * {@code str.format} with plain fields: {@code {}}, {@code {0}}, {@code {name}}, {@code
   * !s}/{@code !r}.
   */
  private static String format(String f, List<Object> args, Map<String, Object> kw, int line) {
    StringBuilder sb = new StringBuilder();
    int auto = 0;
    for (int i = 0; i < f.length(); i++) {
      char c = f.charAt(i);
      if (c == '}' && i + 1 < f.length() && f.charAt(i + 1) == '}') {
        sb.append('}');
        i++;
        continue;
      }
      if (c != '{') {
        sb.append(c);
        continue;
      }
      if (i + 1 < f.length() && f.charAt(i + 1) == '{') {
        sb.append('{');
        i++;
        continue;
      }
      int end = f.indexOf('}', i);
      if (end < 0) {
        throw JinjaException.runtime(line, "ValueError: Single '{' encountered in format string");
      }
      String field = f.substring(i + 1, end);
      String conv = "s";
      int bang = field.indexOf('!');
      if (bang >= 0) {
        conv = field.substring(bang + 1);
        field = field.substring(0, bang);
      }
      if (field.contains(":") || field.contains(".") || field.contains("[")) {
        throw JinjaException.unsupported(
            line, "str.format field '{" + f.substring(i + 1, end) + "}'");
      }
      Object v;
      if (field.isEmpty() || field.chars().allMatch(Character::isDigit)) {
        int idx = field.isEmpty() ? auto++ : Integer.parseInt(field);
        if (idx >= args.size()) {
          throw JinjaException.runtime(
              line, "IndexError: Replacement index " + idx + " out of range");
        }
        v = args.get(idx);
      } else if (kw.containsKey(field)) {
        v = kw.get(field);
      } else {
        throw JinjaException.runtime(line, "KeyError: " + Py.strRepr(field));
      }
      sb.append(conv.equals("r") ? Py.repr(v) : Py.str(v));
      i = end;
    }
    return sb.toString();
  }

  static String replace(String s, String old, String nw, long count) {
    if (count < 0) {
      if (old.isEmpty()) {
        StringBuilder sb = new StringBuilder(nw);
        s.codePoints().forEach(cp -> sb.appendCodePoint(cp).append(nw));
        return sb.toString();
      }
      return s.replace(old, nw);
    }
    StringBuilder sb = new StringBuilder();
    int i = 0;
    long done = 0;
    while (done < count) {
      int j = old.isEmpty() ? (i <= s.length() ? i : -1) : s.indexOf(old, i);
      if (j < 0) {
        break;
      }
      sb.append(s, i, j).append(nw);
      if (old.isEmpty()) {
        if (j < s.length()) {
          sb.append(s.charAt(j));
        }
        i = j + 1;
      } else {
        i = j + old.length();
      }
      done++;
    }
    if (i <= s.length()) {
      sb.append(s.substring(i));
    }
    return sb.toString();
  }

  private static Object dict(Map<?, ?> m, String name, List<Object> args, int line) {
    switch (name) {
      case "items":
        {
          List<Object> out = new ArrayList<>();
          m.forEach((k, v) -> out.add(new Py.Tuple(k, v)));
          return new Py.View("dict_items", out);
        }
      case "keys":
        return new Py.View("dict_keys", new ArrayList<Object>(m.keySet()));
      case "values":
        return new Py.View("dict_values", new ArrayList<Object>(m.values()));
      case "get":
        {
          if (args.isEmpty()) {
            throw Py.typeError(line, "get expected at least 1 argument, got 0");
          }
          Object k = args.get(0);
          if (m.containsKey(k)) {
            return m.get(k);
          }
          return args.size() > 1 ? args.get(1) : null;
        }
      default:
        throw new IllegalStateException(name);
    }
  }

  private static Object list(List<?> l, String name, List<Object> args, int line) {
    if (args.isEmpty()) {
      throw Py.typeError(line, name + " expected 1 argument, got 0");
    }
    Object x = args.get(0);
    if (name.equals("count")) {
      return l.stream().filter(o -> Py.eq(o, x)).count();
    }
    for (int i = 0; i < l.size(); i++) {
      if (Py.eq(l.get(i), x)) {
        return (long) i;
      }
    }
    throw JinjaException.runtime(line, "ValueError: " + Py.repr(x) + " is not in list");
  }
}
