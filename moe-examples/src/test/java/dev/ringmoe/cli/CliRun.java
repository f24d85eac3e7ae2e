package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the command line in-process and captures what it printed; for the CLI tests. */
record CliRun(int status, String out, String err) {
  /**
   * Synthesizes the CLI tests' small sharded bf16 checkpoint (2 layers, hidden 64, 4 experts top-2,
   * vocab 300) into {@code dir}, with {@code extra} options appended, and fails the test if {@code
   * synth} does.
   */
  static Path synth(Path dir, String... extra) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "synth",
                "--out",
                dir.toString(),
                "--layers",
                "2",
                "--hidden",
                "64",
                "--heads",
                "4",
                "--kv-heads",
                "2",
                "--experts",
                "4",
                "--top-k",
                "2",
                "--intermediate",
                "96",
                "--vocab",
                "300",
                "--dtype",
                "bf16",
                "--shard-size",
                "60KB",
                "--seed",
                "5"));
    argv.addAll(List.of(extra));
    CliRun r = run(argv.toArray(String[]::new));
    assertEquals(0, r.status(), r.err());
    return dir;
  }

  static CliRun run(String... argv) {
    return run(false, argv);
  }

  /** As {@link #run(String...)} with {@code input} (UTF-8) as standard input. */
  static CliRun runWithInput(String input, String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        RingMoeCli.run(
            argv,
            new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    return new CliRun(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
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
