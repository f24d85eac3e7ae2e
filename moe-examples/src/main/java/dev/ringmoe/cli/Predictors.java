package dev.ringmoe.cli;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.baseline.FrequencyPredictor;
import dev.ringmoe.hash.baseline.LookaheadPredictor;
import dev.ringmoe.hash.baseline.OraclePredictor;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.serving.CombinedPredictor;
import dev.ringmoe.hash.serving.SidaExpertPredictor;
import dev.ringmoe.hash.trace.RoutingTraceReader;
import dev.ringmoe.hash.trace.TraceSequence;
import dev.ringmoe.model.ExpertPredictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Parses {@code --predictor} specifications: {@code lookahead}, {@code frequency:TRACE}, {@code
 * oracle} (offline evaluation only), {@code sida:FILE} and {@code combined:FILE[@W]} (the hash
 * network refined by lookahead).
 */
final class Predictors {
  private Predictors() {}

  /** The predictor for offline evaluation over traces. */
  static SequencePredictor offline(String given, Path modelDir, String command) throws IOException {
    String spec = canonical(given);
    String kind = kind(spec);
    switch (kind) {
      case "lookahead":
        return LookaheadPredictor.load(modelDir);
      case "oracle":
        return new OraclePredictor();
      case "frequency":
        return frequency(argument(spec, command), command);
      case "sida":
        return SidaSupport.runtime(Path.of(argument(spec, command)), modelDir);
      case "combined":
        return combined(spec, modelDir, command);
      default:
        throw unknown(spec, command);
    }
  }

  /**
   * A bare path to an existing file stands for {@code sida:FILE}, as in {@code eval-hash
   * --predictor FILE}.
   */
  static String canonical(String spec) {
    boolean named = KINDS.contains(kind(spec));
    return !named && Files.isRegularFile(Path.of(spec)) ? "sida:" + spec : spec;
  }

  private static final Set<String> KINDS =
      Set.of("lookahead", "oracle", "frequency", "sida", "combined");

  /**
   * {@code combined:FILE[@W]}: the hash network in FILE refined by lookahead, with hash weight W.
   */
  private static CombinedPredictor combined(String spec, Path modelDir, String command)
      throws IOException {
    String arg = argument(spec, command);
    double weight = CombinedPredictor.DEFAULT_HASH_WEIGHT;
    int at = arg.lastIndexOf('@');
    if (at > 0) {
      try {
        weight = Double.parseDouble(arg.substring(at + 1));
      } catch (NumberFormatException e) {
        throw new UsageException(
            command
                + ": --predictor combined:FILE@W needs a number W in [0, 1], was '"
                + arg.substring(at + 1)
                + "'");
      }
      if (!(weight >= 0 && weight <= 1)) {
        throw new UsageException(
            command + ": the hash weight W of combined:FILE@W must be in [0, 1], was " + weight);
      }
      arg = arg.substring(0, at);
    }
    SidaExpertPredictor hash = SidaSupport.runtime(Path.of(arg), modelDir);
    return new CombinedPredictor(
        hash, LookaheadPredictor.load(modelDir), weight, ModelConfig.load(modelDir).topK());
  }

  /** The token sequence a run will process, computed only when the oracle needs it. */
  @FunctionalInterface
  interface RunSequence {
    int[] ids() throws IOException;
  }

  /** The predictor a model uses at run time to decide what to load ahead. */
  static ExpertPredictor runtime(String spec, Path modelDir, String command) throws IOException {
    return runtime(spec, modelDir, command, null);
  }

  /**
   * The predictor a model uses at run time; {@code oracle} replays the routing of {@code sequence}
   * (recorded here with the model held resident), so it needs the run's tokens up front.
   */
  static ExpertPredictor runtime(String given, Path modelDir, String command, RunSequence sequence)
      throws IOException {
    String spec = canonical(given);
    String kind = kind(spec);
    switch (kind) {
      case "lookahead":
        return ExpertPredictor.gateLookahead();
      case "frequency":
        return frequency(argument(spec, command), command);
      case "sida":
        return SidaSupport.runtime(Path.of(argument(spec, command)), modelDir);
      case "combined":
        return combined(spec, modelDir, command);
      case "oracle":
        if (sequence == null) {
          throw new UsageException(
              command
                  + ": the oracle predictor needs the run's tokens in advance (logits,"
                  + " generate, bench and eval-hash have them)");
        }
        return oracle(modelDir, sequence.ids());
      default:
        throw unknown(spec, command);
    }
  }

  /** Replays the routing the resident model chooses for {@code ids}. */
  static ExpertPredictor oracle(Path modelDir, int[] ids) throws IOException {
    return OraclePredictor.replay(record(modelDir, ids), ModelConfig.load(modelDir).topK());
  }

  /** The router logits the resident model computes for {@code ids}, every routing layer. */
  static TraceSequence record(Path modelDir, int[] ids) throws IOException {
    try (Tracing resident = Tracing.open(modelDir, false)) {
      return resident.recorder().trace(ids);
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
      throw new UsageException(
          command + ": --predictor " + spec + " needs a file: " + spec + ":FILE");
    }
    return spec.substring(colon + 1);
  }

  private static UsageException unknown(String spec, String command) {
    return new UsageException(
        command
            + ": --predictor must be sida:FILE (or just FILE), combined:FILE[@W], lookahead, frequency:TRACE or oracle,"
            + " was '"
            + spec
            + "'");
  }
}
