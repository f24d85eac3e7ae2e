package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.hash.trace.TraceRecorder;
import dev.ringmoe.seq2seq.EncoderDecoderModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens a resident model of either kind for routing traces: a decoder-only {@link MoeModel}, or an
 * encoder-decoder whose encoder layers are traced ({@link ModelConfig#tracedLayers()}).
 */
final class Tracing implements AutoCloseable {
  private final AutoCloseable model;
  private final TraceRecorder recorder;
  private final ModelConfig config;

  private Tracing(AutoCloseable model, TraceRecorder recorder, ModelConfig config) {
    this.model = model;
    this.recorder = recorder;
    this.config = config;
  }

  static Tracing open(Path dir, boolean hiddenStates) throws IOException {
    ModelConfig config = ModelConfig.load(dir);
    if (config.encoderDecoder() != null) {
      EncoderDecoderModel m = EncoderDecoderModel.open(dir);
      try {
        return new Tracing(m, new TraceRecorder(m, hiddenStates), config);
      } catch (IOException | RuntimeException e) {
        m.close();
        throw e;
      }
    }
    MoeModel m = MoeModel.builder().checkpoint(dir).build();
    try {
      return new Tracing(m, new TraceRecorder(m, hiddenStates), config);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  TraceRecorder recorder() {
    return recorder;
  }

  ModelConfig config() {
    return config;
  }

  @Override
  public void close() throws IOException {
    try {
      model.close();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }
}
