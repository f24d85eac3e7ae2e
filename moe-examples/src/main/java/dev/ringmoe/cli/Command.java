package dev.ringmoe.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Set;

/** One subcommand of {@code ringmoe}. */
interface Command {
  String name();

  /** One line for the command list. */
  String summary();

  /** The full {@code --help} text. */
  String usage();

  Set<String> valuedOptions();

  default Set<String> flags() {
    return Set.of();
  }

  /** Valued options that may be given more than once; any other option given twice is refused. */
  default Set<String> repeatableOptions() {
    return Set.of();
  }

  /** Runs the command; output goes to {@code out}, progress and diagnostics to {@code err}. */
  int run(Args args, PrintStream out, PrintStream err) throws Exception;

  /** As {@link #run(Args, PrintStream, PrintStream)}, for commands that read {@code in} (chat). */
  default int run(Args args, InputStream in, PrintStream out, PrintStream err) throws Exception {
    return run(args, out, err);
  }
}
