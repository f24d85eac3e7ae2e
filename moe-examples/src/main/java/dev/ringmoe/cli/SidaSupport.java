package dev.ringmoe.cli;

import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.serving.SidaExpertPredictor;
import dev.ringmoe.hash.sida.HashPredictor;
import dev.ringmoe.hash.sida.SidaData;
import dev.ringmoe.hash.sida.SidaHashNetwork;
import dev.ringmoe.hash.trace.TraceRecorder;
import dev.ringmoe.hash.trace.TraceSequence;
import java.io.IOException;
import java.nio.file.Path;

/** Loads trained SiDA hash networks for a model directory, for offline evaluation and for serving. */
final class SidaSupport {
  private SidaSupport() {}

  static HashPredictor load(Path file, Path modelDir) throws IOException {
    // Only the configuration and the embedding table are needed: no model is built for this.
    ModelConfig config = ModelConfig.load(modelDir);
    SidaHashNetwork net = SidaHashNetwork.load(file, config, TraceRecorder.fingerprint(modelDir, config));
    return net.predictor(SidaData.embeddingTable(modelDir, config));
  }

  static SequencePredictor offline(Path file, Path modelDir) throws IOException {
    HashPredictor hash = load(file, modelDir);
    return new SequencePredictor() {
      @Override
      public RoutingPrediction predict(TraceSequence seq) {
        float[][][] p = hash.predict(seq.tokenIds());
        int layers = seq.layers();
        int experts = seq.experts();
        float[] scores = new float[seq.tokens() * layers * experts];
        for (int t = 0; t < seq.tokens(); t++) {
          for (int l = 0; l < layers; l++) {
            System.arraycopy(p[t][l], 0, scores, (t * layers + l) * experts, experts);
          }
        }
        return new RoutingPrediction(seq.tokens(), layers, experts, scores);
      }

      @Override
      public String name() {
        return "sida:" + file.getFileName();
      }
    };
  }

  static SidaExpertPredictor runtime(Path file, Path modelDir) throws IOException {
    HashPredictor hash = load(file, modelDir);
    return new SidaExpertPredictor(hash, hash.config().topK());
  }
}
