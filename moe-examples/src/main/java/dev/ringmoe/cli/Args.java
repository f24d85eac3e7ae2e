package dev.ringmoe.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parsed {@code --name value} and {@code --flag} options of one command. Every option must be
 * known to the command; values are checked when read, and a bad one becomes a {@link
 * UsageException} naming the option. An option given twice is refused unless the command declares
 * it repeatable (such as {@code --stop}), so a later value never silently replaces an earlier one.
 */
final class Args {
  private final String command;
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, List<String>> repeated = new LinkedHashMap<>();

  private Args(String command) {
    this.command = command;
  }

  /**
   * @param valued options that take a value
   * @param flags options that take none
   */
  static Args parse(
      String command, String[] argv, int from, Set<String> valued, Set<String> flags) {
    return parse(command, argv, from, valued, flags, Set.of());
  }

  /**
   * @param valued options that take a value
   * @param flags options that take none
   * @param repeatable valued options that may be given more than once ({@link #strings})
   */
  static Args parse(
      String command,
      String[] argv,
      int from,
      Set<String> valued,
      Set<String> flags,
      Set<String> repeatable) {
    Args a = new Args(command);
    for (int i = from; i < argv.length; i++) {
      String arg = argv[i];
      if (!arg.startsWith("--")) {
        throw new UsageException(command + ": unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String inline = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (flags.contains(name) && inline == null) {
        if (a.values.containsKey(name)) {
          throw new UsageException(command + ": option --" + name + " is given more than once");
        }
        a.values.put(name, "true");
      } else if (valued.contains(name)) {
        if (inline == null) {
          if (i + 1 >= argv.length) {
            throw new UsageException(command + ": option --" + name + " needs a value");
          }
          inline = argv[++i];
        }
        if (a.values.containsKey(name) && !repeatable.contains(name)) {
          throw new UsageException(command + ": option --" + name + " is given more than once");
        }
        a.values.put(name, inline);
        a.repeated.computeIfAbsent(name, n -> new ArrayList<>()).add(inline);
      } else {
        throw new UsageException(
            command + ": unknown option --" + name + " (see " + command + " --help)");
      }
    }
    return a;
  }

  /** These options without {@code name}. */
  Args without(String name) {
    Args a = new Args(command);
    a.values.putAll(values);
    a.values.remove(name);
    a.repeated.putAll(repeated);
    a.repeated.remove(name);
    return a;
  }

  /** Every value of a repeatable option, in the order given; empty when absent. */
  List<String> strings(String name) {
    return List.copyOf(repeated.getOrDefault(name, List.of()));
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  String required(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new UsageException(command + ": --" + name + " is required");
    }
    return v;
  }

  Path path(String name) {
    return Path.of(required(name));
  }

  int integer(String name, int fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " must be an integer, was '" + v + "'");
    }
  }

  long longValue(String name, long fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " must be an integer, was '" + v + "'");
    }
  }

  double decimal(String name, double fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " must be a number, was '" + v + "'");
    }
  }

  /** A byte size such as {@code 512MB}, {@code 1.5GiB} or {@code 4096}. */
  long bytes(String name, long fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return parseBytes(v);
    } catch (IllegalArgumentException e) {
      throw new UsageException(command + ": --" + name + " " + e.getMessage());
    }
  }

  static long parseBytes(String text) {
    String s = text.trim().toUpperCase(Locale.ROOT).replace(" ", "");
    int split = 0;
    while (split < s.length() && (Character.isDigit(s.charAt(split)) || s.charAt(split) == '.')) {
      split++;
    }
    if (split == 0) {
      throw new IllegalArgumentException("must be a size like 512MB or 2GiB, was '" + text + "'");
    }
    double number = Double.parseDouble(s.substring(0, split));
    String unit = s.substring(split);
    long scale;
    switch (unit) {
      case "":
      case "B":
        scale = 1;
        break;
      case "K":
      case "KB":
        scale = 1000;
        break;
      case "KIB":
        scale = 1L << 10;
        break;
      case "M":
      case "MB":
        scale = 1000_000;
        break;
      case "MIB":
        scale = 1L << 20;
        break;
      case "G":
      case "GB":
        scale = 1000_000_000;
        break;
      case "GIB":
        scale = 1L << 30;
        break;
      case "T":
      case "TB":
        scale = 1000_000_000_000L;
        break;
      case "TIB":
        scale = 1L << 40;
        break;
      default:
        throw new IllegalArgumentException("has an unknown unit '" + unit + "' in '" + text + "'");
    }
    double bytes = number * scale;
    if (bytes < 1 || bytes > Long.MAX_VALUE) {
      throw new IllegalArgumentException("must be at least one byte, was '" + text + "'");
    }
    return (long) bytes;
  }
}
