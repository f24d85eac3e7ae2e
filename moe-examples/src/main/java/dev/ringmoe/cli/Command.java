package dev.ringmoe.cli;

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

  /** Runs the command; output goes to {@code out}, progress and diagnostics to {@code err}. */
  int run(Args args, PrintStream out, PrintStream err) throws Exception;
}
