package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.baseline.SequencePredictor;
import dev.ringmoe.hash.eval.RoutingPrediction;
import dev.ringmoe.hash.serving.SidaExpertPredictor;
import dev.ringmoe.hash.sida.HashPredictor;
import dev.ringmoe.hash.sida.SidaData;
import dev.ringmoe.hash.sida.SidaHashNetwork;
import dev.ringmoe.hash.trace.TraceSequence;
import java.io.IOException;
import java.nio.file.Path;

/** Loads trained SiDA hash networks for a model directory, for offline evaluation and for serving. */
final class SidaSupport {
  private SidaSupport() {}

  static HashPredictor load(Path file, Path modelDir) throws IOException {
    try (MoeModel model = MoeModel.builder().checkpoint(modelDir).build()) {
      ModelConfig config = model.config();
      SidaHashNetwork net = SidaHashNetwork.load(file, config, SidaData.fingerprint(model));
      return net.predictor(SidaData.embeddingTable(model));
    }
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
