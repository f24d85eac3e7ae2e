package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.RingStats;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.trace.TokenWindows;
import dev.ringmoe.seq2seq.EncoderDecoderModel;
import dev.ringmoe.tensor.VectorMath;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ringmoe perplexity}: held-out perplexity of a configuration, and what it moved. With
 * {@code --mode sida} the same windows also run in exact mode (same budget and predictor) so that
 * the cost of skipping the router is one ratio measured in one run.
 */
final class PerplexityCommand implements Command {
  /** Sequences per {@code logits(List)} call: progress is printed per chunk. */
  private static final int CHUNK = 16;

  @Override
  public String name() {
    return "perplexity";
  }

  @Override
  public String summary() {
    return "held-out perplexity (exact vs sida mode) and bytes moved per token";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe perplexity --model DIR --data FILE.u16 [--window N] [--max-windows N] [model options]\n\n"
        + "  --data FILE.u16     token ids, uint16 little-endian; sequences are BOS + (window - 1) ids\n"
        + "  --window N          tokens per sequence with BOS (default 128)\n"
        + "  --max-windows N     sequences to score (default 64)\n\n"
        + "Model options:\n"
        + ModelOptions.USAGE
        + "\nPerplexity is exp of the mean negative log-likelihood of each next token within a window. With\n"
        + "--mode sida the exact mode runs too, on the same windows, budget and predictor, and the increase is\n"
        + "printed. An encoder-decoder (Switch Transformers) is scored teacher-forced: the encoder reads the window\n"
        + "and the decoder predicts its tokens; --mode sida routes the encoder's sparse layers by the hash network.\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return ModelOptions.valuedWith("data", "window", "max-windows");
  }

  @Override
  public Set<String> flags() {
    return ModelOptions.FLAGS;
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int window = args.integer("window", 128);
    int max = args.integer("max-windows", 64);
    if (window < 2 || max < 1) {
      throw new UsageException("ringmoe perplexity: --window >= 2 and --max-windows >= 1");
    }
    boolean sida = args.string("mode", "exact").equals("sida");
    MoeModel.Builder builder = ModelOptions.builder(args, "ringmoe perplexity");
    ModelConfig config = ModelConfig.load(ModelOptions.checkpointDir(args));
    List<int[]> windows = windows(args.path("data"), window, max, config, "ringmoe perplexity");
    Result main = score(builder, config, windows, sida ? "sida" : "exact", err);
    out.print(main.line());
    if (sida) {
      Args exact = args.without("mode");
      Result reference =
          score(ModelOptions.builder(exact, "ringmoe perplexity"), config, windows, "exact", err);
      out.print(reference.line());
      out.printf(
          Locale.ROOT,
          "sida vs exact: perplexity %+.2f%%, bytes moved per token %.2fx%n",
          100 * (main.perplexity / reference.perplexity - 1),
          main.bytesPerToken / reference.bytesPerToken);
    }
    return 0;
  }

  /**
   * Up to {@code max} windows of {@code window} tokens (BOS + window - 1 ids of {@code data});
   * refuses, as usage errors, a window longer than the model's positions and data shorter than one
   * window.
   */
  static List<int[]> windows(Path data, int window, int max, ModelConfig config, String command)
      throws IOException {
    if (window > config.maxPositions()) {
      throw new UsageException(
          command
              + ": --window "
              + window
              + " is longer than the model's "
              + config.maxPositions()
              + " positions (max_position_embeddings)");
    }
    List<int[]> windows =
        TokenWindows.fromFile(data, window - 1, window - 1, max, config.bosTokenId());
    if (windows.isEmpty()) {
      throw new UsageException(
          command
              + ": --data "
              + data
              + " holds "
              + Files.size(data) / 2
              + " tokens, fewer"
              + " than one window of "
              + (window - 1)
              + " (--window "
              + window
              + " with BOS)");
    }
    return windows;
  }

  private record Result(
      String mode,
      int windows,
      long tokens,
      double perplexity,
      double bytesPerToken,
      double hitRate) {
    String line() {
      return String.format(
          Locale.ROOT,
          "%-5s  %d windows, %d predicted tokens: perplexity %.3f; %.2f MB moved per"
              + " token; prefetch hit rate %s%n",
          mode,
          windows,
          tokens,
          perplexity,
          bytesPerToken / 1e6,
          Double.isNaN(hitRate) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * hitRate));
    }
  }

  private static Result score(
      MoeModel.Builder builder,
      ModelConfig config,
      List<int[]> windows,
      String mode,
      PrintStream err)
      throws java.io.IOException {
    if (config.encoderDecoder() == null) {
      try (MoeModel model = builder.build()) {
        return score(model, windows, mode, err);
      }
    }
    try (EncoderDecoderModel model = builder.buildEncoderDecoder()) {
      return score(model, windows, mode, err);
    }
  }

  /**
   * An encoder-decoder's perplexity, teacher-forced: the encoder reads the window, the decoder
   * (from {@code decoder_start_token_id}) predicts the window's tokens after the first, the same
   * targets as a decoder-only model's next-token perplexity.
   */
  private static Result score(
      EncoderDecoderModel model, List<int[]> windows, String mode, PrintStream err) {
    double nll = 0;
    long count = 0;
    model.resetStats();
    int done = 0;
    for (int[] ids : windows) {
      int[] decoder = new int[ids.length - 1];
      decoder[0] = model.decoderStartTokenId();
      System.arraycopy(ids, 1, decoder, 1, ids.length - 2);
      float[][] logits = model.logits(ids, decoder);
      for (int t = 0; t < decoder.length; t++) {
        nll -= logSoftmax(logits[t], ids[t + 1]);
        count++;
      }
      if (++done % CHUNK == 0 || done == windows.size()) {
        err.printf("\r%s: %d / %d sequences", mode, done, windows.size());
      }
    }
    err.println();
    RingStats stats = model.ringStats().orElse(null);
    long tokens = (long) windows.size() * windows.get(0).length;
    return new Result(
        mode,
        windows.size(),
        count,
        Math.exp(nll / count),
        stats == null ? 0 : stats.deviceBytesWritten() / (double) tokens,
        stats == null ? Double.NaN : stats.hitRate());
  }

  private static Result score(MoeModel model, List<int[]> windows, String mode, PrintStream err) {
    double nll = 0;
    long count = 0;
    model.resetStats();
    // Chunks of sequences through logits(List): the store's prediction thread works on the queued
    // ones ahead.
    for (int from = 0; from < windows.size(); from += CHUNK) {
      List<int[]> chunk = windows.subList(from, Math.min(windows.size(), from + CHUNK));
      List<float[][]> logits = model.logits(chunk);
      for (int s = 0; s < chunk.size(); s++) {
        int[] ids = chunk.get(s);
        for (int t = 0; t + 1 < ids.length; t++) {
          nll -= logSoftmax(logits.get(s)[t], ids[t + 1]);
          count++;
        }
      }
      err.printf("\r%s: %d / %d sequences", mode, from + chunk.size(), windows.size());
    }
    err.println();
    RingStats stats = model.ringStats().orElse(null);
    long tokens = (long) windows.size() * windows.get(0).length;
    return new Result(
        mode,
        windows.size(),
        count,
        Math.exp(nll / count),
        stats == null ? 0 : stats.deviceBytesWritten() / (double) tokens,
        stats == null ? Double.NaN : stats.hitRate());
  }

  private static double logSoftmax(float[] row, int target) {
    return row[target] - VectorMath.logSumExp(row, 0, row.length);
  }
}
