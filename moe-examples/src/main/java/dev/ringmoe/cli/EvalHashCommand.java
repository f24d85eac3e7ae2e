package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.hash.baseline.LookaheadPredictor;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.eval.PredictorEvaluation;
import dev.ringmoe.hash.trace.RoutingTraceReader;
import dev.ringmoe.hash.trace.TokenWindows;
import dev.ringmoe.hash.trace.TraceRecorder;
import dev.ringmoe.hash.trace.TraceSequence;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code ringmoe eval-hash}: how well a predictor foresees the router: per layer top-1 accuracy, hit rate for
 * k = 1..4 (the router's top-1 within the predicted top-k) and recall of the router's top-k set.
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
    return "Usage: ringmoe eval-hash --model DIR --predictor SPEC --data FILE [--window N] [--max-windows N]\n"
        + "                         [--json FILE]\n\n"
        + "  --predictor SPEC  sida:FILE (a trained hash network), lookahead, frequency:TRACE, or oracle\n"
        + "  --data FILE       held-out token ids (.u16, uint16 little-endian) or a routing trace\n"
        + "  --window N        tokens per sequence with BOS, for .u16 data (default 128)\n"
        + "  --max-windows N   sequences to evaluate (default 64)\n"
        + "  --json FILE       also write the table as JSON\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("model", "predictor", "data", "window", "max-windows", "json");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    Path modelDir = args.path("model");
    String spec = args.required("predictor");
    Path data = args.path("data");
    int window = args.integer("window", 128);
    int max = args.integer("max-windows", 64);
    if (window < 2 || max < 1) {
      throw new UsageException("ringmoe eval-hash: --window >= 2 and --max-windows >= 1");
    }
    SequencePredictor predictor = Predictors.offline(spec, modelDir, "ringmoe eval-hash");
    boolean needsHidden = predictor instanceof LookaheadPredictor;
    PredictorEvaluation evaluation;
    if (data.toString().endsWith(".u16")) {
      try (MoeModel model = MoeModel.builder().checkpoint(modelDir).build()) {
        TraceRecorder recorder = new TraceRecorder(model, needsHidden);
        evaluation = PredictorEvaluation.forTrace(recorder.header());
        List<int[]> windows = TokenWindows.fromFile(data, window, window - 1, max,
            model.config().bosTokenId());
        int done = 0;
        for (int[] ids : windows) {
          TraceSequence seq = recorder.trace(ids);
          evaluation.add(seq, predictor.predict(seq));
          err.printf("\r%d / %d sequences", ++done, windows.size());
        }
        err.println();
      }
    } else {
      try (RoutingTraceReader reader = RoutingTraceReader.open(data)) {
        if (needsHidden && !reader.header().hiddenStates()) {
          throw new UsageException("ringmoe eval-hash: lookahead needs a trace recorded with --hidden-states, or"
              + " .u16 data");
        }
        evaluation = PredictorEvaluation.forTrace(reader.header());
        int done = 0;
        for (TraceSequence seq : reader) {
          if (done++ == max) {
            break;
          }
          evaluation.add(seq, predictor.predict(seq));
        }
      }
    }
    out.print(evaluation.table(predictor.name() + " on " + data.getFileName()));
    if (args.has("json")) {
      evaluation.writeJson(args.path("json"), predictor.name());
    }
    return 0;
  }
}
