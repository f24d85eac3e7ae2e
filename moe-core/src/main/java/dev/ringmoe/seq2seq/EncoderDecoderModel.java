package dev.ringmoe.seq2seq;

import com.google.common.base.Preconditions;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationLoop;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.model.ResidentWeightStore;
import dev.ringmoe.model.RoutingListener;
import dev.ringmoe.model.WeightStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An encoder-decoder MoE model (Switch Transformers): the user API beside {@code MoeModel}, which
 * runs decoder-only models. Encode an input once ({@link #encode}), then decode against it step by
 * step ({@link #newState}, {@link #decode}) or let {@link #generate} do both; {@link #logits} runs
 * one full decoder pass. The decoder's input starts with {@code decoder_start_token_id} ({@link
 * #decoderStartTokenId()}), as Hugging Face's generation prepends it.
 *
 * <p>Thread-safe: calls are serialised. Outputs are Java arrays owned by the caller. Closing frees
 * the weights if the model opened them.
 */
public final class EncoderDecoderModel implements dev.ringmoe.TokenGenerator {
  private final ModelConfig config;
  private final EncoderDecoder forward;
  private final WeightStore store;
  private final Path directory;
  private final AutoCloseable[] owned;
  private boolean closed;

  private EncoderDecoderModel(
      ModelConfig config, Path directory, WeightStore store, AutoCloseable... owned) {
    this.config = config;
    this.directory = directory;
    this.forward = new EncoderDecoder(config, store);
    this.store = store;
    this.owned = owned;
  }

  /**
   * Opens the checkpoint in {@code dir} with every weight resident.
   *
   * @throws dev.ringmoe.config.ModelConfigException if its config is not an encoder-decoder this
   *     version runs, naming the file and field
   * @throws dev.ringmoe.checkpoint.CheckpointFormatException naming a missing or malformed tensor
   */
  public static EncoderDecoderModel open(Path dir) throws IOException {
    ModelConfig config = ModelConfig.load(dir);
    if (config.encoderDecoder() == null) {
      throw new IllegalArgumentException(
          dir + " holds a decoder-only model (" + config.architecture().name() + "): use MoeModel");
    }
    Checkpoint files = Checkpoint.open(dir);
    try {
      ResidentWeightStore store = ResidentWeightStore.load(files, config);
      return new EncoderDecoderModel(config, dir, store, store, files);
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
  }

  /**
   * A model over a store the caller opened (a ring or expert-cache store, say) and keeps owning.
   *
   * @throws IllegalArgumentException if {@code config} is not an encoder-decoder
   */
  public static EncoderDecoderModel of(ModelConfig config, WeightStore store) {
    return new EncoderDecoderModel(config, null, store);
  }

  /**
   * A model over {@code store} (opened from {@code directory}) that closes {@code resources} (the
   * store, its checkpoint) when it is closed, in order.
   *
   * @throws IllegalArgumentException if {@code config} is not an encoder-decoder
   */
  public static EncoderDecoderModel owning(
      ModelConfig config, Path directory, WeightStore store, AutoCloseable... resources) {
    return new EncoderDecoderModel(config, directory, store, resources.clone());
  }

  /**
   * SiDA's mode ({@link dev.ringmoe.RoutingMode#SIDA}): the encoder's sparse layers route by {@code
   * predictor}'s probabilities; {@code null} restores the routers.
   */
  public synchronized void sidaRouting(dev.ringmoe.model.RoutingPredictor predictor) {
    checkOpen();
    forward.sidaRouting(predictor);
  }

  /** Zeroes the store's counters behind {@link #ringStats()}. */
  public void resetStats() {
    store.resetStats();
  }

  /** The checkpoint directory, or {@code null} for a model made with {@link #of}. */
  public Path directory() {
    return directory;
  }

  /**
   * As {@link #encode(int[])}, reporting the embeddings and every encoder layer's router logits to
   * {@code listener} as they are computed (for routing traces).
   */
  public synchronized EncoderOutput encode(int[] ids, RoutingListener listener) {
    checkOpen();
    forward.routingListener(listener);
    try {
      return forward.encode(ids);
    } finally {
      forward.routingListener(null);
    }
  }

  /** What the store moved and waited for, if it streams; empty for a resident store. */
  public java.util.Optional<dev.ringmoe.RingStats> ringStats() {
    return store.stats();
  }

  public ModelConfig config() {
    return config;
  }

  /** The first token of every decoder input. */
  public int decoderStartTokenId() {
    return config.encoderDecoder().decoderStartTokenId();
  }

  /** The encoder's output for {@code ids}. @throws IllegalArgumentException for bad ids */
  public synchronized EncoderOutput encode(int[] ids) {
    checkOpen();
    return forward.encode(ids);
  }

  /** A new decoding sequence against {@code encoder}. */
  public synchronized DecoderState newState(EncoderOutput encoder) {
    checkOpen();
    return forward.newState(Preconditions.checkNotNull(encoder));
  }

  /**
   * Runs {@code tokens} after those already in {@code state}; logits of every token ([tokens *
   * vocab]) when {@code allPositions}, else of the last ([vocab]).
   */
  public synchronized float[] decode(DecoderState state, int[] tokens, boolean allPositions) {
    checkOpen();
    return forward.decode(state, tokens, allPositions);
  }

  /**
   * The decoder's logits at every position of {@code decoderIds} given {@code encoderIds}, from one
   * pass: [position][vocab].
   */
  public synchronized float[][] logits(int[] encoderIds, int[] decoderIds) {
    checkOpen();
    EncoderOutput encoded = forward.encode(encoderIds);
    float[] flat = forward.decode(forward.newState(encoded), decoderIds, true);
    return split(flat, decoderIds.length);
  }

  /**
   * As {@link #logits(int[], int[])}, one decoder token per pass through the state's caches: equal
   * to the full pass up to float rounding.
   */
  public synchronized float[][] logitsIncremental(int[] encoderIds, int[] decoderIds) {
    checkOpen();
    DecoderState state = forward.newState(forward.encode(encoderIds));
    float[][] out = new float[decoderIds.length][];
    for (int t = 0; t < decoderIds.length; t++) {
      out[t] = forward.decode(state, new int[] {decoderIds[t]}, false);
    }
    return out;
  }

  /**
   * As {@link #logits(int[], int[])}, reporting both passes' embeddings and router logits to {@code
   * listener} (layers numbered encoder first).
   */
  public synchronized float[][] logits(
      int[] encoderIds, int[] decoderIds, RoutingListener listener) {
    checkOpen();
    forward.routingListener(listener);
    try {
      return logits(encoderIds, decoderIds);
    } finally {
      forward.routingListener(null);
    }
  }

  /**
   * Encodes {@code encoderIds} and generates from {@code decoder_start_token_id}: {@link
   * #generate(int[], int[], GenerationOptions)} with that one token as the decoder prefix.
   */
  public GenerationResult generate(int[] encoderIds, GenerationOptions options) {
    return generate(encoderIds, new int[] {decoderStartTokenId()}, options, TokenListener.NONE);
  }

  /**
   * As {@link #generate(int[], GenerationOptions)}, telling {@code listener} each token (no text).
   */
  public GenerationResult generate(
      int[] encoderIds, GenerationOptions options, TokenListener listener) {
    return generate(encoderIds, new int[] {decoderStartTokenId()}, options, listener);
  }

  /** {@link #generate(int[], int[], GenerationOptions, TokenListener)} without a listener. */
  public GenerationResult generate(
      int[] encoderIds, int[] decoderPrefix, GenerationOptions options) {
    return generate(encoderIds, decoderPrefix, options, TokenListener.NONE);
  }

  /**
   * Encodes {@code encoderIds}, runs {@code decoderPrefix} (which should start with {@code
   * decoder_start_token_id}) in one decoder pass, then samples one token per step through the
   * decoder's caches until EOS (if {@code options.stopAtEos()}), {@code maxNewTokens}, the
   * decoder's positions or a cancellation by the listener, telling {@code listener} each token as
   * it comes (with empty text). The result's prompt is the encoder input (its prefill time is the
   * encoder pass plus the decoder prefix's), its generated ids follow the decoder prefix, and its
   * text is empty (no detokenising here, so stop sequences never match). The repetition penalty
   * counts the decoder prefix's ids, as Hugging Face's does.
   *
   * @throws IllegalArgumentException for empty id arrays or ids outside the vocabulary
   */
  public synchronized GenerationResult generate(
      int[] encoderIds, int[] decoderPrefix, GenerationOptions options, TokenListener listener) {
    checkOpen();
    Preconditions.checkNotNull(options, "options");
    Preconditions.checkNotNull(listener, "listener");
    long start = System.nanoTime();
    EncoderOutput encoded = forward.encode(encoderIds);
    long encodeNanos = System.nanoTime() - start;
    DecoderState state = forward.newState(encoded);
    GenerationLoop.Model model =
        new GenerationLoop.Model() {
          @Override
          public float[] prefill() {
            return forward.decode(state, decoderPrefix, false);
          }

          @Override
          public float[] next(int token) {
            return forward.decode(state, new int[] {token}, false);
          }

          @Override
          public boolean full() {
            return state.length() >= forward.maxDecoderPositions();
          }
        };
    GenerationResult r =
        GenerationLoop.run(encoderIds, decoderPrefix, options, model, this::isEos, null, listener);
    // The encoder pass belongs to prefill.
    return new GenerationResult(
        r.promptIds(),
        r.generatedIds(),
        r.text(),
        r.stopReason(),
        r.prefillNanos() + (options.maxNewTokens() > 0 ? encodeNanos : 0),
        r.decodeNanos());
  }

  private boolean isEos(int id) {
    for (int eos : config.eosTokenIds()) {
      if (eos == id) {
        return true;
      }
    }
    return false;
  }

  private float[][] split(float[] flat, int rows) {
    int vocab = config.vocabSize();
    float[][] out = new float[rows][];
    for (int t = 0; t < rows; t++) {
      out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
    }
    return out;
  }

  private void checkOpen() {
    Preconditions.checkState(!closed, "the model is closed");
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + c, e);
      }
    }
  }
}
