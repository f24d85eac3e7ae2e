package dev.ringmoe.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process and captures what it printed; for the CLI tests. */
record CliRun(int status, String out, String err) {
  static CliRun run(String... argv) {
    return run(false, argv);
  }

  /**
   * With {@code debug}, as if {@code RINGMOE_LOG_LEVEL=debug}: refusals print their stack traces.
   */
  static CliRun run(boolean debug, String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        RingMoeCli.run(
            argv,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            debug);
    return new CliRun(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
