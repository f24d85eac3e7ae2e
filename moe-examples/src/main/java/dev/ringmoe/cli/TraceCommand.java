package dev.ringmoe.cli;

import dev.ringmoe.hash.trace.TraceRecorder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/** {@code ringmoe trace}: records the routing of a model over token windows to a trace file. */
final class TraceCommand implements Command {
  @Override
  public String name() {
    return "trace";
  }

  @Override
  public String summary() {
    return "record a model's routing (embeddings, router logits) over token data";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe trace --model DIR --data FILE.u16 --out TRACE [--window N] [--stride N]\n"
        + "                     [--max-windows N] [--hidden-states]\n\n"
        + "  --data FILE       token ids, uint16 little-endian (documents concatenated, as moe-text-16x/data has)\n"
        + "  --window N        tokens per sequence, BOS included (default 128: BOS + 127 tokens)\n"
        + "  --stride N        tokens between window starts (default: the window minus BOS)\n"
        + "  --max-windows N   stop after N sequences (default: all)\n"
        + "  --hidden-states   also record each layer's hidden state entering its MoE block (for lookahead\n"
        + "                    evaluation; much larger files)\n\n"
        + "The trace format is described in docs/routing-traces.md. Recording is streamed to disk.\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("model", "data", "out", "window", "stride", "max-windows");
  }

  @Override
  public Set<String> flags() {
    return Set.of("hidden-states");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    Path data = args.path("data");
    Path trace = args.path("out");
    int window = args.integer("window", 128);
    int stride = args.integer("stride", window - 1);
    int max = args.integer("max-windows", Integer.MAX_VALUE);
    if (window < 2 || stride < 1 || max < 1) {
      throw new UsageException(
          "ringmoe trace: --window >= 2, --stride >= 1 and --max-windows >= 1");
    }
    try (Tracing model =
        Tracing.open(ModelOptions.checkpointDir(args), args.has("hidden-states"))) {
      if (window > model.config().maxPositions()) {
        throw new UsageException(
            "ringmoe trace: --window "
                + window
                + " is longer than the model's "
                + model.config().maxPositions()
                + " positions (max_position_embeddings)");
      }
      long tokens = java.nio.file.Files.size(data) / 2;
      if (tokens < window - 1) {
        throw new UsageException(
            "ringmoe trace: --data "
                + data
                + " holds "
                + tokens
                + " tokens, fewer than one"
                + " window of "
                + (window - 1)
                + " (--window "
                + window
                + " with BOS)");
      }
      TraceRecorder recorder = model.recorder();
      long start = System.nanoTime();
      int n =
          recorder.recordFile(
              data,
              window - 1,
              stride,
              max,
              trace,
              (done, total, seq) -> {
                if (done == total || done % Math.max(1, total / 20) == 0) {
                  err.printf(
                      "\r%d / %d sequences (%.0f s)",
                      done, total, (System.nanoTime() - start) / 1e9);
                  err.flush();
                }
              });
      err.println();
      out.printf("recorded %d sequences of %d tokens to %s%n", n, window, trace);
    }
    return 0;
  }
}
