package dev.ringmoe.cli;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.serving.SidaExpertPredictor;
import dev.ringmoe.hash.sida.HashPredictor;
import dev.ringmoe.hash.sida.SidaData;
import dev.ringmoe.hash.sida.SidaHashNetwork;
import dev.ringmoe.hash.trace.TraceRecorder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads trained SiDA hash networks for a model directory, for offline evaluation and for serving.
 */
final class SidaSupport {
  private SidaSupport() {}

  static HashPredictor load(Path file, Path modelDir) throws IOException {
    // Only the configuration and the embedding table are needed: no model is built for this.
    ModelConfig config = ModelConfig.load(modelDir);
    SidaHashNetwork net =
        SidaHashNetwork.load(file, config, TraceRecorder.fingerprint(modelDir, config));
    String engine = System.getenv().getOrDefault("RINGMOE_HASH_ENGINE", "nd4j");
    return net.predictor(
        SidaData.embeddingTable(modelDir, config),
        HashPredictor.Engine.valueOf(engine.toUpperCase(java.util.Locale.ROOT)));
  }

  static SidaExpertPredictor runtime(Path file, Path modelDir) throws IOException {
    HashPredictor hash = load(file, modelDir);
    return new SidaExpertPredictor(hash, hash.config().topK(), "sida:" + file.getFileName());
  }
}
