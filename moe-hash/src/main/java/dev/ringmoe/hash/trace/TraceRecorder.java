package dev.ringmoe.hash.trace;

import com.google.common.base.Preconditions;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import dev.ringmoe.MoeModel;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.RoutingListener;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Runs a {@link MoeModel} (or an encoder-decoder's encoder) over token sequences (one full forward
 * pass each) and captures their routing: embeddings, every layer's router logits and, optionally,
 * the hidden state entering every MoE block (what offline gate-lookahead evaluation needs). Writes
 * each sequence to a {@link RoutingTraceWriter} as soon as it is traced.
 *
 * <p>Uses the model's {@code synchronized} forward pass; one recorder per model at a time.
 */
public final class TraceRecorder {
  /** Progress of a recording. */
  @FunctionalInterface
  public interface Progress {
    /** Called after each sequence; {@code total} is -1 when unknown. */
    void onSequence(int done, int total, TraceSequence sequence);
  }

  /** Runs one sequence through the layers a trace covers, reporting to the listener. */
  private interface Runner {
    void run(int[] ids, RoutingListener listener);
  }

  private final Runner model;
  private final ModelConfig config;
  private final boolean hiddenStates;
  private final String fingerprint;

  /**
   * @param hiddenStates also record the residual after each layer's attention ([T][layers][hidden]
   *     more floats per sequence: about 7 times the router logits at hidden 192 and 16 experts)
   */
  public TraceRecorder(MoeModel model, boolean hiddenStates) throws IOException {
    Preconditions.checkNotNull(model);
    this.model = model::logits;
    this.config = model.config();
    this.hiddenStates = hiddenStates;
    this.fingerprint = fingerprint(model);
  }

  /**
   * A recorder of an encoder-decoder's encoder layers (SiDA's setting: {@link
   * ModelConfig#tracedLayers()}): each sequence is the encoder's input, and only the encoder runs.
   *
   * @throws IllegalArgumentException if the model was not opened from a directory
   */
  public TraceRecorder(dev.ringmoe.seq2seq.EncoderDecoderModel model, boolean hiddenStates)
      throws IOException {
    Preconditions.checkNotNull(model);
    Preconditions.checkArgument(
        model.directory() != null, "the model has no checkpoint directory to fingerprint");
    this.model = model::encode;
    this.config = model.config();
    this.hiddenStates = hiddenStates;
    this.fingerprint = fingerprint(model.directory(), config);
  }

  /** The header of traces this recorder writes. */
  public TraceHeader header() {
    return TraceHeader.of(config, fingerprint, hiddenStates);
  }

  /** Traces one sequence (one forward pass). */
  public TraceSequence trace(int[] ids) {
    int t = ids.length;
    int h = config.hiddenSize();
    int layers = config.tracedLayers().length; // the layers that route; dense ones are not traced
    int experts = config.experts();
    float[] emb = new float[t * h];
    float[] logits = new float[t * layers * experts];
    float[] hidden = hiddenStates ? new float[t * layers * h] : null;
    boolean[] seen = new boolean[layers + 1];
    model.run(
        ids,
        new RoutingListener() {
          @Override
          public void embeddings(int[] tokenIds, int position, float[] embeddings) {
            System.arraycopy(embeddings, 0, emb, 0, t * h);
            seen[layers] = true;
          }

          @Override
          public void hiddenBeforeMoe(int modelLayer, int tokens, float[] state) {
            int layer = config.routingIndex(modelLayer);
            if (hidden != null && layer >= 0) {
              for (int i = 0; i < t; i++) {
                System.arraycopy(state, i * h, hidden, (i * layers + layer) * h, h);
              }
            }
          }

          @Override
          public void routerLogits(int modelLayer, int tokens, float[] values) {
            int layer = config.routingIndex(modelLayer);
            if (layer < 0) {
              return; // a layer traces do not cover (an encoder-decoder's decoder)
            }
            for (int i = 0; i < t; i++) {
              System.arraycopy(
                  values, i * experts, logits, (i * layers + layer) * experts, experts);
            }
            seen[layer] = true;
          }
        });
    for (int l = 0; l <= layers; l++) {
      if (!seen[l]) {
        throw new IllegalStateException(
            "the model did not report " + (l == layers ? "embeddings" : "layer " + l));
      }
    }
    return new TraceSequence(ids.clone(), emb, logits, hidden, h, layers, experts);
  }

  /**
   * Traces every sequence of {@code sequences} into {@code writer}; returns how many were written.
   */
  public int record(Iterable<int[]> sequences, RoutingTraceWriter writer, Progress progress)
      throws IOException {
    Preconditions.checkArgument(
        writer.header().equals(header()),
        "writer header %s differs from %s",
        writer.header(),
        header());
    int total = sequences instanceof Collection<?> c ? c.size() : -1;
    int done = 0;
    for (int[] ids : sequences) {
      TraceSequence seq = trace(ids);
      writer.write(seq);
      done++;
      if (progress != null) {
        progress.onSequence(done, total, seq);
      }
    }
    return done;
  }

  /**
   * Traces windows of a {@code .u16} token file into a new trace file {@code out}: {@code length}
   * ids per window after BOS, windows {@code stride} apart, at most {@code maxWindows} ({@code <=
   * 0}: all).
   */
  public int recordFile(
      Path u16, int length, int stride, int maxWindows, Path out, Progress progress)
      throws IOException {
    List<int[]> windows =
        TokenWindows.fromFile(u16, length, stride, maxWindows, config.bosTokenId());
    try (RoutingTraceWriter writer = RoutingTraceWriter.create(out, header())) {
      return record(windows, writer, progress);
    }
  }

  /**
   * A string naming the model: its directory name, shape, and a SHA-256 over {@code config.json}
   * and the names and sizes of its {@code .safetensors} files (cheap: no weights are read).
   */
  public static String fingerprint(MoeModel model) throws IOException {
    return fingerprint(model.directory(), model.config());
  }

  /** The fingerprint of the checkpoint in {@code dir}, without loading its weights. */
  public static String fingerprint(Path dir, ModelConfig c) throws IOException {
    Hasher hasher = Hashing.sha256().newHasher();
    Path config = dir.resolve(ModelConfig.FILE_NAME);
    if (Files.isRegularFile(config)) {
      hasher.putBytes(Files.readAllBytes(config));
    }
    List<Path> shards = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.safetensors")) {
      s.forEach(shards::add);
    }
    shards.sort(null);
    for (Path p : shards) {
      hasher.putUnencodedChars(p.getFileName().toString()).putLong(Files.size(p));
    }
    return String.format(
        "%s %s hidden=%d layers=%d experts=%d topK=%d sha256=%s",
        dir.getFileName(),
        c.architecture(),
        c.hiddenSize(),
        c.layers(),
        c.experts(),
        c.topK(),
        hasher.hash().toString().substring(0, 16));
  }
}
