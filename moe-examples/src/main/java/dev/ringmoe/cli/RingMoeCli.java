package dev.ringmoe.cli;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Entry point of the {@code ringmoe} command-line tool: {@code ringmoe COMMAND [options]}. Bad arguments print one
 * line to standard error and exit with status 2; failures exit with status 1 and a one-line cause.
 */
public final class RingMoeCli {
  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    for (Command c : new Command[] {new GenerateCommand(), new LogitsCommand(), new SynthCommand(),
        new DemoCommand(), new BenchCommand(), new TraceCommand(), new TrainHashCommand(), new EvalHashCommand(),
        new PerplexityCommand()}) {
      COMMANDS.put(c.name(), c);
    }
  }

  private RingMoeCli() {}

  public static void main(String[] argv) {
    System.exit(run(argv, System.out, System.err));
  }

  /** Runs one command line and returns the exit status. */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
      out.print(overview());
      return argv.length == 0 ? 2 : 0;
    }
    Command command = COMMANDS.get(argv[0]);
    if (command == null) {
      err.println("ringmoe: unknown command '" + argv[0] + "' (commands: " + String.join(", ", COMMANDS.keySet())
          + "; see ringmoe --help)");
      return 2;
    }
    for (int i = 1; i < argv.length; i++) {
      if (argv[i].equals("--help") || argv[i].equals("-h")) {
        out.print(command.usage());
        return 0;
      }
    }
    try {
      Set<String> flags = new HashSet<>(command.flags());
      Args args = Args.parse("ringmoe " + command.name(), argv, 1, command.valuedOptions(), flags);
      return command.run(args, out, err);
    } catch (UsageException e) {
      err.println(e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println("ringmoe " + command.name() + ": " + describe(e));
      if (System.getenv("RINGMOE_DEBUG") != null) {
        e.printStackTrace(err);
      }
      return 1;
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file or directory: " + message;
    }
    return message != null ? message : e.getClass().getSimpleName();
  }

  private static String overview() {
    StringBuilder b = new StringBuilder();
    b.append("Usage: ringmoe COMMAND [options]\n\nMixture-of-Experts inference on the JVM.\n\nCommands:\n");
    for (Command c : COMMANDS.values()) {
      b.append(String.format("  %-10s %s%n", c.name(), c.summary()));
    }
    b.append("\nRun 'ringmoe COMMAND --help' for a command's options.\n");
    return b.toString();
  }
}
