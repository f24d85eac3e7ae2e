package dev.ringmoe.cli;

import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Entry point of the {@code ringmoe} command-line tool: {@code ringmoe COMMAND [options]}.
 *
 * <p>Exit status and messages: a bad command line (an unknown option, a missing or malformed value,
 * a value out of range) prints one line to standard error and exits with status 2; anything else
 * that stops a command (a missing or malformed checkpoint, config or tokenizer, a file problem,
 * memory limits, an interrupt, any exception or error) prints one line, {@code ringmoe COMMAND:
 * cause}, and exits with status 1. No stack trace is printed unless the environment variable {@code
 * RINGMOE_LOG_LEVEL} is {@code debug} (or {@code trace}), which the {@code ringmoe} launcher also
 * passes to the logger.
 */
public final class RingMoeCli {
  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    for (Command c :
        new Command[] {
          new GenerateCommand(),
          new ChatCommand(),
          new ServeCommand(),
          new InfoCommand(),
          new LogitsCommand(),
          new SynthCommand(),
          new DemoCommand(),
          new BenchCommand(),
          new TraceCommand(),
          new TrainHashCommand(),
          new EvalHashCommand(),
          new PerplexityCommand(),
          new VersionCommand()
        }) {
      COMMANDS.put(c.name(), c);
    }
  }

  private RingMoeCli() {}

  public static void main(String[] argv) {
    boolean debug = debugFromEnvironment();
    PrintStream err = System.err;
    // A failure on another thread (a copy or prediction thread) is reported by the command that
    // waits for it; what
    // the JVM would print for the thread itself is one line too.
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          err.println("ringmoe: thread " + thread.getName() + " failed: " + describe(e));
          if (debug) {
            e.printStackTrace(err);
          }
        });
    System.exit(run(argv, System.in, System.out, err, debug));
  }

  /** Whether {@code RINGMOE_LOG_LEVEL} asks for debug output, stack traces included. */
  static boolean debugFromEnvironment() {
    String level = System.getenv("RINGMOE_LOG_LEVEL");
    return level != null
        && (level.trim().equalsIgnoreCase("debug") || level.trim().equalsIgnoreCase("trace"));
  }

  /**
   * Runs one command line and returns the exit status; stack traces only when {@code
   * RINGMOE_LOG_LEVEL=debug}.
   */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    return run(argv, System.in, out, err, debugFromEnvironment());
  }

  /**
   * Runs one command line and returns the exit status; {@code debug} adds the stack trace of a
   * failure.
   */
  static int run(String[] argv, PrintStream out, PrintStream err, boolean debug) {
    return run(argv, System.in, out, err, debug);
  }

  /**
   * As {@link #run(String[], PrintStream, PrintStream, boolean)}, reading input from {@code in}.
   */
  static int run(String[] argv, InputStream in, PrintStream out, PrintStream err, boolean debug) {
    if (argv.length > 0 && argv[0].equals("--version")) {
      argv = new String[] {"version"};
    }
    if (argv.length == 0
        || argv[0].equals("--help")
        || argv[0].equals("-h")
        || argv[0].equals("help")) {
      out.print(overview());
      return argv.length == 0 ? 2 : 0;
    }
    Command command = COMMANDS.get(argv[0]);
    if (command == null) {
      err.println(
          "ringmoe: unknown command '"
              + argv[0]
              + "' (commands: "
              + String.join(", ", COMMANDS.keySet())
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
      Args args =
          Args.parse(
              "ringmoe " + command.name(),
              argv,
              1,
              command.valuedOptions(),
              flags,
              command.repeatableOptions());
      return command.run(args, in, out, err);
    } catch (UsageException e) {
      err.println(oneLine(e.getMessage()));
      if (debug) {
        e.printStackTrace(err);
      }
      return 2;
    } catch (
        Throwable
            e) { // errors too (OutOfMemoryError, a native library that fails to load): one line
      // each
      if (isInterrupt(e)) {
        Thread.currentThread().interrupt();
      }
      err.println("ringmoe " + command.name() + ": " + describe(e));
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    }
  }

  /**
   * One line saying what went wrong, for any throwable; file-system exceptions say what the path is
   * or lacks.
   */
  static String describe(Throwable e) {
    if (isInterrupt(e)) {
      String message = null;
      for (Throwable t = e;
          t != null && message == null;
          t = t.getCause() == t ? null : t.getCause()) {
        message =
            t.getMessage() == null || t.getMessage().isBlank() ? null : oneLine(t.getMessage());
      }
      return message == null
          ? "interrupted"
          : message.toLowerCase(Locale.ROOT).contains("interrupt")
              ? message
              : "interrupted: " + message;
    }
    if (e instanceof FileSystemException fs) {
      String reason = fs.getReason();
      if (reason == null) {
        reason =
            e instanceof NoSuchFileException
                ? "no such file or directory"
                : e instanceof NotDirectoryException
                    ? "not a directory"
                    : e instanceof AccessDeniedException
                        ? "permission denied"
                        : e instanceof FileAlreadyExistsException
                            ? "already exists"
                            : e instanceof DirectoryNotEmptyException
                                ? "directory not empty"
                                : e.getClass().getSimpleName();
      }
      return oneLine(
          (fs.getFile() == null ? "" : fs.getFile() + ": ")
              + (fs.getOtherFile() == null ? "" : "(and " + fs.getOtherFile() + ") ")
              + reason);
    }
    if (e instanceof OutOfMemoryError) {
      return "out of memory: "
          + oneLine(String.valueOf(e.getMessage()))
          + " (RINGMOE_HEAP sets the Java heap;"
          + " --device-memory streams weights through a smaller budget)";
    }
    String message = e.getMessage();
    Throwable cause = e.getCause();
    if (cause != null && cause != e && (message == null || message.equals(cause.toString()))) {
      return describe(cause); // a bare wrapper: its cause says more
    }
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return oneLine(message);
  }

  private static boolean isInterrupt(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InterruptedException
          || t instanceof ClosedByInterruptException
          || (t instanceof InterruptedIOException
              && !(t instanceof java.net.SocketTimeoutException))) {
        return true;
      }
      String message = t.getMessage();
      if (message != null && message.toLowerCase(Locale.ROOT).startsWith("interrupted")) {
        return true;
      }
    }
    return false;
  }

  /** Whitespace runs, line breaks included, as single spaces: a message is printed as one line. */
  static String oneLine(String text) {
    return text == null ? "" : text.strip().replaceAll("\\s+", " ");
  }

  private static String overview() {
    StringBuilder b = new StringBuilder();
    b.append(
        "Usage: ringmoe COMMAND [options]\n\nMixture-of-Experts inference on the JVM.\n\nCommands:\n");
    for (Command c : COMMANDS.values()) {
      b.append(String.format("  %-10s %s%n", c.name(), c.summary()));
    }
    b.append("\nRun 'ringmoe COMMAND --help' for a command's options.\n");
    return b.toString();
  }
}
