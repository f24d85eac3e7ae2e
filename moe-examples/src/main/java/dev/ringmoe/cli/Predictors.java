package dev.ringmoe.cli;

import dev.ringmoe.hash.baseline.FrequencyPredictor;
import dev.ringmoe.hash.baseline.LookaheadPredictor;
import dev.ringmoe.hash.baseline.OraclePredictor;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.trace.RoutingTraceReader;
import dev.ringmoe.model.ExpertPredictor;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Parses {@code --predictor} specifications: {@code lookahead}, {@code frequency:TRACE}, {@code oracle} (offline
 * evaluation only) and {@code sida:FILE}.
 */
final class Predictors {
  private Predictors() {}

  /** The predictor for offline evaluation over traces. */
  static SequencePredictor offline(String spec, Path modelDir, String command) throws IOException {
    String kind = kind(spec);
    switch (kind) {
      case "lookahead":
        return LookaheadPredictor.load(modelDir);
      case "oracle":
        return new OraclePredictor();
      case "frequency":
        return frequency(argument(spec, command), command);
      case "sida":
        return SidaSupport.offline(Path.of(argument(spec, command)), modelDir);
      default:
        throw unknown(spec, command);
    }
  }

  /** The predictor a model uses at run time to decide what to load ahead. */
  static ExpertPredictor runtime(String spec, Path modelDir, String command) throws IOException {
    String kind = kind(spec);
    switch (kind) {
      case "lookahead":
        return ExpertPredictor.gateLookahead();
      case "frequency":
        return frequency(argument(spec, command), command);
      case "sida":
        return SidaSupport.runtime(Path.of(argument(spec, command)), modelDir);
      case "oracle":
        throw new UsageException(command + ": the oracle predictor knows the true routing only offline (eval-hash)");
      default:
        throw unknown(spec, command);
    }
  }

  private static FrequencyPredictor frequency(String trace, String command) throws IOException {
    try (RoutingTraceReader reader = RoutingTraceReader.open(Path.of(trace))) {
      return FrequencyPredictor.fit(reader, reader.header().topK());
    }
  }

  private static String kind(String spec) {
    int colon = spec.indexOf(':');
    return colon < 0 ? spec : spec.substring(0, colon);
  }

  private static String argument(String spec, String command) {
    int colon = spec.indexOf(':');
    if (colon < 0 || colon == spec.length() - 1) {
      throw new UsageException(command + ": --predictor " + spec + " needs a file: " + spec + ":FILE");
    }
    return spec.substring(colon + 1);
  }

  private static UsageException unknown(String spec, String command) {
    return new UsageException(command + ": --predictor must be sida:FILE, lookahead, frequency:TRACE or oracle, was '"
        + spec + "'");
  }
}
