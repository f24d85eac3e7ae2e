package dev.ringmoe.cli;

import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.eval.PredictorEvaluation;
import dev.ringmoe.hash.trace.RoutingTraceReader;
import dev.ringmoe.hash.trace.TraceRecorder;
import dev.ringmoe.hash.trace.TraceSequence;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ringmoe eval-hash}: how well a predictor foresees the router: per layer top-1 accuracy,
 * hit rate for k = 1..4 (the router's top-1 within the predicted top-k) and recall of the router's
 * top-k set.
 */
final class EvalHashCommand implements Command {
  @Override
  public String name() {
    return "eval-hash";
  }

  @Override
  public String summary() {
    return "evaluate an expert predictor against the router (hit rate, accuracy, recall per layer)";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe eval-hash --model DIR --predictor SPEC[,SPEC...] --data FILE [--window N]\n"
        + "                         [--max-windows N] [--json FILE]\n\n"
        + "  --predictor SPEC  sida:FILE (a trained hash network), combined:FILE[@W] (that network refined by\n"
        + "                    lookahead one layer ahead, hash weight W, default 0.5), lookahead,\n"
        + "                    frequency:TRACE, or oracle; several, comma-separated, are evaluated on the same\n"
        + "                    sequences and summarised in one table\n"
        + "  --data FILE       held-out token ids (.u16, uint16 little-endian) or a routing trace\n"
        + "  --window N        tokens per sequence with BOS, for .u16 data (default 128)\n"
        + "  --max-windows N   sequences to evaluate (default 64)\n"
        + "  --json FILE       also write the results as JSON (an array when several predictors)\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("model", "predictor", "data", "window", "max-windows", "json");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    Path data = args.path("data");
    args.required("predictor");
    int window = args.integer("window", 128);
    int max = args.integer("max-windows", 64);
    if (window < 2 || max < 1) {
      throw new UsageException("ringmoe eval-hash: --window >= 2 and --max-windows >= 1");
    }
    Path modelDir = ModelOptions.checkpointDir(args);
    List<SequencePredictor> predictors = new ArrayList<>();
    for (String spec : args.required("predictor").split(",")) {
      predictors.add(Predictors.offline(spec.trim(), modelDir, "ringmoe eval-hash"));
    }
    boolean needsHidden = predictors.stream().anyMatch(SequencePredictor::readsHiddenStates);
    List<PredictorEvaluation> evaluations = new ArrayList<>();
    if (data.toString().endsWith(".u16")) {
      try (Tracing model = Tracing.open(modelDir, needsHidden)) {
        TraceRecorder recorder = model.recorder();
        predictors.forEach(p -> evaluations.add(PredictorEvaluation.forTrace(recorder.header())));
        List<int[]> windows =
            PerplexityCommand.windows(data, window, max, model.config(), "ringmoe eval-hash");
        int done = 0;
        for (int[] ids : windows) {
          evaluate(recorder.trace(ids), predictors, evaluations);
          err.printf("\r%d / %d sequences", ++done, windows.size());
        }
        err.println();
      }
    } else {
      try (RoutingTraceReader reader = RoutingTraceReader.open(data)) {
        if (needsHidden && !reader.header().hiddenStates()) {
          throw new UsageException(
              "ringmoe eval-hash: lookahead and combined need a trace recorded with"
                  + " --hidden-states, or .u16 data");
        }
        predictors.forEach(p -> evaluations.add(PredictorEvaluation.forTrace(reader.header())));
        int done = 0;
        for (TraceSequence seq : reader) {
          if (done++ == max) {
            break;
          }
          evaluate(seq, predictors, evaluations);
        }
      }
    }
    StringBuilder json = new StringBuilder();
    for (int i = 0; i < predictors.size(); i++) {
      out.print(evaluations.get(i).table(predictors.get(i).name() + " on " + data.getFileName()));
      out.println();
      json.append(i == 0 ? "" : ",\n")
          .append(evaluations.get(i).toJson(predictors.get(i).name()).strip());
    }
    if (predictors.size() > 1) {
      out.print(summary(predictors, evaluations));
    }
    if (args.has("json")) {
      String text = predictors.size() == 1 ? json + "\n" : "[\n" + json + "\n]\n";
      Files.writeString(args.path("json"), text, StandardCharsets.UTF_8);
    }
    return 0;
  }

  private static void evaluate(
      TraceSequence seq,
      List<SequencePredictor> predictors,
      List<PredictorEvaluation> evaluations) {
    for (int i = 0; i < predictors.size(); i++) {
      evaluations.get(i).add(seq, predictors.get(i).predict(seq));
    }
  }

  /** One row per predictor: hit rate at the model's top-k for each layer and on average. */
  private static String summary(
      List<SequencePredictor> predictors, List<PredictorEvaluation> evaluations) {
    PredictorEvaluation first = evaluations.get(0);
    int k = first.topK();
    StringBuilder sb = new StringBuilder("router top-1 within the predicted top-" + k + " (%)\n");
    sb.append(String.format(Locale.ROOT, "%-44s", "predictor"));
    for (int l = 0; l < first.layers(); l++) {
      sb.append(String.format(Locale.ROOT, " %6s", "L" + l));
    }
    sb.append(String.format(Locale.ROOT, " %8s %8s%n", "average", "min"));
    for (int i = 0; i < predictors.size(); i++) {
      PredictorEvaluation e = evaluations.get(i);
      sb.append(String.format(Locale.ROOT, "%-44s", predictors.get(i).name()));
      double min = 1;
      for (int l = 0; l < e.layers(); l++) {
        sb.append(String.format(Locale.ROOT, " %6.2f", 100 * e.hitRate(l, k)));
        min = Math.min(min, e.hitRate(l, k));
      }
      sb.append(String.format(Locale.ROOT, " %8.2f %8.2f%n", 100 * e.averageHitRate(k), 100 * min));
    }
    return sb.toString();
  }
}
