package dev.ringmoe;

import com.google.common.base.Preconditions;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.Storage;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationLoop;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.generate.TokenStream;
import dev.ringmoe.model.Decoder;
import dev.ringmoe.model.ExpertPredictor;
import dev.ringmoe.model.KvCache;
import dev.ringmoe.model.ResidentWeightStore;
import dev.ringmoe.model.RoutingListener;
import dev.ringmoe.model.RoutingPredictor;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.model.WeightStore;
import dev.ringmoe.model.WeightStoreProvider;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.tokenizer.Tokenizer;
import dev.ringmoe.tokenizer.TokenizerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Mixture-of-Experts language model loaded from a Hugging Face checkpoint directory ({@code
 * config.json}, {@code model.safetensors} or sharded {@code *.safetensors} with {@code
 * model.safetensors.index.json}, and {@code tokenizer.json}).
 *
 * <pre>{@code
 * try (MoeModel model = MoeModel.builder().checkpoint(Path.of("mixtral")).build()) {
 *   GenerationResult r = model.generate("The quick brown fox", GenerationOptions.greedy(32));
 *   System.out.println(r.text());
 * }
 * }</pre>
 *
 * <p>Thread-safety: a model runs one generation or logits call at a time; concurrent calls are
 * serialised. Closing the model releases its native memory and file mappings; it must not be used
 * afterwards: every method except {@link #config()} and {@link #directory()} then throws {@link
 * IllegalStateException} ("the model is closed").
 *
 * <p>Token ids are checked before any work: every id of a prompt or sequence must lie in {@code [0,
 * vocab_size)} and a sequence must be non-empty and no longer than the model's maximum positions
 * ({@code max_position_embeddings}); otherwise {@link IllegalArgumentException} names the id and
 * its position.
 */
public final class MoeModel implements TokenGenerator {
  private static final Logger LOG = LoggerFactory.getLogger(MoeModel.class);

  private final Path directory;
  private final ModelConfig config;
  private final Checkpoint checkpoint;
  private final WeightStore weights;
  private final Decoder decoder;
  private final Tokenizer tokenizer;
  private final Set<ThreadedTokenStream> openStreams = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private MoeModel(
      Path directory,
      ModelConfig config,
      Checkpoint checkpoint,
      WeightStore weights,
      Tokenizer tokenizer) {
    this.directory = directory;
    this.config = config;
    this.checkpoint = checkpoint;
    this.weights = weights;
    this.tokenizer = tokenizer;
    this.decoder = new Decoder(config, weights);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The model's configuration; still available after {@link #close()}. */
  public ModelConfig config() {
    return config;
  }

  /** The checkpoint directory the model was loaded from; still available after {@link #close()}. */
  public Path directory() {
    return directory;
  }

  /**
   * The checkpoint's tokenizer.
   *
   * @throws TokenizerException naming the missing file when the checkpoint has no {@code
   *     tokenizer.json}
   * @throws IllegalStateException if the model is closed
   */
  public Tokenizer tokenizer() throws TokenizerException {
    checkOpen();
    if (tokenizer == null) {
      throw new TokenizerException(
          directory.resolve("tokenizer.json")
              + ": missing; text generation needs the"
              + " checkpoint's tokenizer (token ids still work through logits and generate(int[], ...))");
    }
    return tokenizer;
  }

  /**
   * Encodes {@code prompt} with the checkpoint's tokenizer and generates; see {@link
   * #generate(int[], ...)}.
   */
  public GenerationResult generate(String prompt, GenerationOptions options)
      throws TokenizerException {
    return generate(prompt, options, TokenListener.NONE);
  }

  /**
   * Encodes {@code prompt} with the checkpoint's tokenizer and generates, reporting each token as
   * it comes.
   */
  public GenerationResult generate(String prompt, GenerationOptions options, TokenListener listener)
      throws TokenizerException {
    checkOpen(); // before the tokenizer, which would only say that it is closed
    return generate(tokenizer().encode(prompt), options, listener);
  }

  /**
   * Prefills {@code promptIds} in one forward pass, then decodes incrementally with the KV cache
   * until EOS (if the options say so), {@code maxNewTokens}, the model's maximum positions, a stop
   * sequence or a cancellation by the listener ({@link
   * dev.ringmoe.generate.GenerationCancelledException}): at most {@code max_position_embeddings -
   * promptIds.length + 1} tokens are generated (the last one is not run through the model),
   * whatever {@code maxNewTokens} says, and memory grows with the tokens actually generated. The
   * repetition penalty counts the prompt's ids.
   *
   * @throws IllegalArgumentException if the prompt is empty, longer than the model's maximum
   *     positions, or holds an id outside the vocabulary (checked also when {@code maxNewTokens} is
   *     0)
   * @throws IllegalStateException if the model is closed
   */
  public synchronized GenerationResult generate(
      int[] promptIds, GenerationOptions options, TokenListener listener) {
    checkOpen();
    checkIds(promptIds, "the prompt");
    Preconditions.checkNotNull(options, "options");
    Preconditions.checkNotNull(listener, "listener");
    KvCache cache = decoder.newCache();
    GenerationLoop.Model forward =
        new GenerationLoop.Model() {
          @Override
          public float[] prefill() {
            return decoder.forward(promptIds, cache, false);
          }

          @Override
          public float[] next(int token) {
            return decoder.forward(new int[] {token}, cache, false);
          }

          @Override
          public boolean full() {
            return cache.length() == cache.maxPositions();
          }
        };
    GenerationResult result =
        GenerationLoop.run(
            promptIds, promptIds, options, forward, this::isEos, textDecoder(promptIds), listener);
    LOG.debug(
        "generated {} tokens ({}): prefill {} tok/s, decode {} tok/s",
        result.generatedIds().length,
        result.stopReason(),
        String.format("%.1f", result.prefillTokensPerSecond()),
        String.format("%.1f", result.decodeTokensPerSecond()));
    return result;
  }

  /**
   * Encodes {@code prompt} with the checkpoint's tokenizer and streams the generation; see {@link
   * TokenGenerator#stream(int[], GenerationOptions)}.
   */
  public TokenStream stream(String prompt, GenerationOptions options) throws TokenizerException {
    checkOpen();
    return stream(tokenizer().encode(prompt), options);
  }

  /**
   * Streams the generation of {@link #generate(int[], GenerationOptions, TokenListener)} (see
   * {@link TokenGenerator#stream(int[], GenerationOptions)}). The prompt is checked here, before
   * the stream starts: a bad one throws from this call rather than from the stream. {@link
   * #close()} cancels the streams still open, and returns once they have ended.
   *
   * @throws IllegalArgumentException as {@link #generate(int[], GenerationOptions, TokenListener)}
   * @throws IllegalStateException if the model is closed
   */
  @Override
  public TokenStream stream(int[] promptIds, GenerationOptions options) {
    Preconditions.checkNotNull(options, "options");
    synchronized (this) {
      checkOpen();
      checkIds(promptIds, "the prompt");
    }
    int[] ids = promptIds.clone();
    ThreadedTokenStream stream =
        new ThreadedTokenStream(listener -> generate(ids, options, listener), openStreams::remove);
    openStreams.add(stream);
    return stream;
  }

  /**
   * The most tokens one sequence may hold: {@code max_position_embeddings}, or fewer when a device
   * budget reserves the KV cache for fewer positions ({@link Builder#kvPositions}). A longer prompt
   * is refused; generation stops there ({@link GenerationResult.StopReason#MAX_POSITIONS}).
   */
  public int maxPositions() {
    return decoder.maxPositions();
  }

  /** The generated text's decoder, or null without a tokenizer. */
  private GenerationLoop.TextDecoder textDecoder(int[] promptIds) {
    if (tokenizer == null) {
      return null;
    }
    // The prompt is the decoder's context, so that the first generated word keeps its leading
    // space.
    Tokenizer.StreamingDecoder text = tokenizer.newStreamingDecoder(promptIds);
    return new GenerationLoop.TextDecoder() {
      @Override
      public String next(int tokenId) {
        // A padded vocabulary (vocab_size above the tokenizer's, as Qwen's checkpoints have) can
        // sample an id that has no text: it adds none.
        return tokenId < tokenizer.vocabSize() ? text.next(tokenId) : "";
      }

      @Override
      public String flush() {
        return text.flush();
      }
    };
  }

  private boolean isEos(int id) {
    for (int eos : config.eosTokenIds()) {
      if (eos == id) {
        return true;
      }
    }
    return tokenizer != null && tokenizer.eosIds().contains(id);
  }

  /**
   * The logits of every position of {@code ids} from one forward pass, [positions][vocab].
   *
   * @throws IllegalArgumentException if {@code ids} is empty, holds an id outside the vocabulary or
   *     is longer than the model's maximum positions
   * @throws IllegalStateException if the model is closed
   */
  public synchronized float[][] logits(int[] ids) {
    checkOpen();
    checkIds(ids, "the sequence");
    float[] flat = decoder.forward(ids, decoder.newCache(), true);
    int vocab = config.vocabSize();
    float[][] out = new float[ids.length][];
    for (int t = 0; t < ids.length; t++) {
      out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
    }
    return out;
  }

  /** Sequences announced to the store ahead of the one running, in {@link #logits(List)}. */
  static final int QUEUE_AHEAD = 3;

  /**
   * The logits of every position of each of {@code sequences}, in order, each from its own forward
   * pass over a new KV cache: [sequence][position][vocab]. The same as calling {@link
   * #logits(int[])} on each, except that the sequences still waiting are queued to the weight
   * store: with a streaming store and a predictor that works from token ids (a SiDA hash network),
   * their experts are predicted on the store's prediction thread while earlier sequences run.
   *
   * @throws IllegalArgumentException if a sequence is empty, holds an id outside the vocabulary or
   *     is too long (before any runs)
   */
  public synchronized List<float[][]> logits(List<int[]> sequences) {
    checkOpen();
    for (int i = 0; i < sequences.size(); i++) {
      checkIds(sequences.get(i), "sequence " + i);
    }
    List<float[][]> out = new java.util.ArrayList<>(sequences.size());
    int nextToQueue = 1;
    for (int i = 0; i < sequences.size(); i++) {
      while (nextToQueue < sequences.size() && nextToQueue <= i + QUEUE_AHEAD) {
        decoder.queue(sequences.get(nextToQueue++), 0);
      }
      out.add(logits(sequences.get(i)));
    }
    return out;
  }

  /**
   * The logits of every position of {@code ids}, reporting the pass's embeddings and every layer's
   * router logits to {@code listener} as they are computed (for routing traces). The ids are
   * checked as {@link #logits(int[])} does.
   */
  public synchronized float[][] logits(int[] ids, RoutingListener listener) {
    checkOpen();
    checkIds(ids, "the sequence");
    decoder.routingListener(listener);
    try {
      return logits(ids);
    } finally {
      decoder.routingListener(null);
    }
  }

  /**
   * Runs {@code ids} one token at a time through the KV cache and returns each step's logits; the
   * same as {@link #logits} up to float rounding. For checking the cache and for incremental
   * scoring.
   *
   * @throws IllegalArgumentException as {@link #logits(int[])}: empty, an id outside the
   *     vocabulary, too long
   * @throws IllegalStateException if the model is closed
   */
  public synchronized float[][] logitsIncremental(int[] ids) {
    checkOpen();
    checkIds(ids, "the sequence");
    KvCache cache = decoder.newCache();
    float[][] out = new float[ids.length][];
    for (int t = 0; t < ids.length; t++) {
      out[t] = decoder.forward(new int[] {ids[t]}, cache, false);
    }
    return out;
  }

  private void checkOpen() {
    Preconditions.checkState(!closed, "the model is closed");
  }

  /**
   * Refuses a null or empty sequence, one longer than the model's positions, or an id outside the
   * vocabulary.
   */
  private void checkIds(int[] ids, String what) {
    Preconditions.checkNotNull(ids, "%s is null", what);
    Preconditions.checkArgument(ids.length > 0, "%s has no token ids", what);
    Preconditions.checkArgument(
        ids.length <= config.maxPositions(),
        "%s has %s tokens, more than the model's %s" + " positions (max_position_embeddings)",
        what,
        ids.length,
        config.maxPositions());
    Preconditions.checkArgument(
        ids.length <= decoder.maxPositions(),
        "%s has %s tokens, more than the %s positions the device budget gives the KV cache"
            + " (Builder.kvPositions, --kv-positions)",
        what,
        ids.length,
        decoder.maxPositions());
    for (int t = 0; t < ids.length; t++) {
      int id = ids[t];
      if (id < 0 || id >= config.vocabSize()) {
        throw new IllegalArgumentException(
            what
                + ": token id "
                + id
                + " at position "
                + t
                + " is outside the vocabulary [0, "
                + config.vocabSize()
                + ")");
      }
    }
  }

  /**
   * What the streaming weight store moved and waited for since the model was built or {@link
   * #resetStats()}; empty when every weight is resident.
   */
  public synchronized Optional<RingStats> ringStats() {
    checkOpen();
    return weights.stats();
  }

  /** Zeroes the counters behind {@link #ringStats()}. */
  public synchronized void resetStats() {
    checkOpen();
    weights.resetStats();
  }

  /**
   * Cancels the token streams still open (waiting until they have ended), then releases native
   * memory, file mappings and the tokenizer. Idempotent.
   */
  @Override
  public void close() {
    // Outside the monitor: an open stream's generation holds it while its consumer is away.
    for (ThreadedTokenStream open : List.copyOf(openStreams)) {
      open.close();
    }
    synchronized (this) {
      closeHeld();
    }
  }

  private void closeHeld() {
    if (closed) {
      return;
    }
    closed = true;
    decoder.close();
    weights.close();
    if (tokenizer != null) {
      tokenizer.close();
    }
    try {
      checkpoint.close();
    } catch (IOException e) {
      // One line at WARN (no stack trace reaches a command-line user); the trace at DEBUG.
      LOG.warn("closing checkpoint {} failed: {}", directory, e.toString());
      LOG.debug("closing checkpoint {} failed", directory, e);
    }
  }

  /**
   * Opens a checkpoint directory's weights. The default keeps every weight resident; {@code
   * moe-ring} supplies factories that stream them through a bounded ring instead.
   */
  @FunctionalInterface
  public interface WeightStoreFactory {
    WeightStore open(Checkpoint checkpoint, ModelConfig config) throws IOException;
  }

  /** Configures and loads a {@link MoeModel}. Mutable; not thread-safe. */
  public static final class Builder {
    private Path checkpoint;
    private WeightStoreFactory weightStore;
    private boolean requireTokenizer = false;
    private long deviceBytes;
    private double deviceFraction;
    private int ringSlots;
    private Prefetch prefetch = Prefetch.LOOKAHEAD;
    private ExpertPredictor predictor;
    private boolean expertCache;
    private RoutingMode routingMode = RoutingMode.EXACT;
    private Storage storage = Storage.MAPPED;
    private long stagingBytes = dev.ringmoe.checkpoint.TensorReader.DEFAULT_STAGING_BYTES;
    private int kvPositions = StoreOptions.DEFAULT_KV_POSITIONS;
    private Eviction eviction = Eviction.LFU;

    private Builder() {}

    /** The checkpoint directory (required). */
    public Builder checkpoint(Path directory) {
      this.checkpoint = Preconditions.checkNotNull(directory);
      return this;
    }

    /**
     * Where weights live, for custom stores. By default every weight is resident, unless a device
     * memory budget is set, in which case a streaming store from the classpath ({@code moe-ring})
     * is used.
     */
    public Builder weightStore(WeightStoreFactory factory) {
      this.weightStore = Preconditions.checkNotNull(factory);
      return this;
    }

    /**
     * Caps the memory compute may use for weights at {@code bytes}: weights that do not fit stream
     * through a ring of fixed slots (needs {@code moe-ring} on the classpath). A budget below the
     * resident weights plus one slot fails at {@link #build()}, naming the minimum.
     */
    public Builder deviceMemory(long bytes) {
      Preconditions.checkArgument(bytes > 0, "device memory must be positive, was %s", bytes);
      this.deviceBytes = bytes;
      this.deviceFraction = 0;
      return this;
    }

    /** Caps device memory at a fraction (0, 1] of the model's float32 weight bytes. */
    public Builder deviceMemoryFraction(double fraction) {
      Preconditions.checkArgument(
          fraction > 0 && fraction <= 1, "fraction must be in (0, 1], was %s", fraction);
      this.deviceFraction = fraction;
      this.deviceBytes = 0;
      return this;
    }

    /** Ring slots K; 0 (the default) uses as many as the budget holds. */
    public Builder ringSlots(int slots) {
      Preconditions.checkArgument(slots >= 0, "ring slots must be >= 0, was %s", slots);
      this.ringSlots = slots;
      return this;
    }

    /** What the ring loads ahead of compute (default {@link Prefetch#LOOKAHEAD}). */
    public Builder prefetch(Prefetch prefetch) {
      this.prefetch = Preconditions.checkNotNull(prefetch);
      return this;
    }

    /** A custom expert predictor for the ring; overrides the one {@link #prefetch} implies. */
    public Builder predictor(ExpertPredictor predictor) {
      this.predictor = Preconditions.checkNotNull(predictor);
      return this;
    }

    /**
     * Caches streamed experts one by one across tokens under an eviction policy ({@link #eviction})
     * instead of passing whole layers through the ring: only predicted experts are brought in
     * ahead, routed ones on demand.
     */
    public Builder expertCache(boolean cache) {
      this.expertCache = cache;
      return this;
    }

    /**
     * Who decides which experts run: the router ({@link RoutingMode#EXACT}, the default) or the
     * predictor ({@link RoutingMode#SIDA}, which needs a {@link RoutingPredictor} set with {@link
     * #predictor}).
     */
    public Builder routingMode(RoutingMode mode) {
      this.routingMode = Preconditions.checkNotNull(mode);
      return this;
    }

    /**
     * How a streaming store reads the checkpoint: {@link Storage#MAPPED} (the default) or {@link
     * Storage#DIRECT}, direct I/O that keeps the model out of the page cache (see {@code
     * docs/storage.md}). Applies with a device memory budget.
     */
    public Builder storage(Storage storage) {
      this.storage = Preconditions.checkNotNull(storage);
      return this;
    }

    /**
     * The host staging area of {@link Storage#DIRECT}, bytes (default {@link
     * dev.ringmoe.checkpoint.TensorReader#DEFAULT_STAGING_BYTES}); it is part of the device budget.
     */
    public Builder stagingBytes(long bytes) {
      Preconditions.checkArgument(bytes > 0, "staging bytes must be positive, was %s", bytes);
      this.stagingBytes = bytes;
      return this;
    }

    /**
     * The positions of one sequence the KV cache gets inside the device budget (default {@link
     * StoreOptions#DEFAULT_KV_POSITIONS}, capped at the model's {@code max_position_embeddings}); a
     * longer prompt or generation is refused or stopped there. Applies with a device memory budget:
     * the KV cache's bytes for these positions come out of the budget before the weights are
     * planned. Resident models keep the model's own maximum.
     */
    public Builder kvPositions(int positions) {
      Preconditions.checkArgument(
          positions > 0, "KV cache positions must be positive, was %s", positions);
      this.kvPositions = positions;
      return this;
    }

    /**
     * How the expert cache picks what to evict (default {@link Eviction#LFU}); applies with {@link
     * #expertCache}.
     */
    public Builder eviction(Eviction eviction) {
      this.eviction = Preconditions.checkNotNull(eviction);
      return this;
    }

    private WeightStoreFactory storeFactory() {
      if (weightStore != null) {
        return weightStore;
      }
      if (deviceBytes == 0 && deviceFraction == 0) {
        return ResidentWeightStore::load;
      }
      StoreOptions options =
          new StoreOptions(deviceBytes, deviceFraction, ringSlots, prefetch, predictor, expertCache)
              .withStorage(storage)
              .withStagingBytes(stagingBytes)
              .withKvPositions(kvPositions)
              .withEviction(eviction);
      WeightStoreProvider provider =
          ServiceLoader.load(WeightStoreProvider.class)
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "a device memory budget needs a streaming weight store:"
                              + " add dev.ringmoe:moe-ring to the classpath"));
      return (files, config) -> provider.open(files, config, options);
    }

    /**
     * Bytes of weights the default stores will hold, in the model's weight type: all of them, or at
     * most the device budget.
     */
    private long heldWeightBytes(ModelConfig config, Checkpoint files) {
      long all = config.weightBytes(Tensors.weightType(files, config.manifest()).width());
      if (deviceBytes == 0 && deviceFraction == 0) {
        return all;
      }
      return Math.min(
          all,
          new StoreOptions(deviceBytes, deviceFraction, ringSlots, prefetch, predictor, expertCache)
              .deviceBudget(all));
    }

    /**
     * Refuses a tokenizer that can produce an id outside the model's vocabulary (it would fail in
     * the middle of {@code generate}); a smaller tokenizer vocabulary than the model's (padded
     * embeddings) is fine.
     */
    private void checkTokenizerFits(Tokenizer tokenizer, ModelConfig config)
        throws TokenizerException {
      // vocabSize() is the largest id + 1 in int arithmetic, so vocabSize() - 1 is exactly the
      // largest id, also when
      // that id is Integer.MAX_VALUE and vocabSize() overflowed.
      int largestId = tokenizer.vocabSize() - 1;
      if (largestId < 0 || largestId >= config.vocabSize()) {
        throw new TokenizerException(
            checkpoint.resolve("tokenizer.json")
                + ": "
                + (largestId < 0
                    ? "has no token id >= 0"
                    : "its largest token id "
                        + largestId
                        + " (vocabulary and added tokens together) does not fit the"
                        + " model's vocab_size "
                        + config.vocabSize()
                        + " in config.json")
                + "; the tokenizer does not belong to this model");
      }
    }

    /**
     * Fail at build time when the checkpoint has no tokenizer (default: only text generation needs
     * one).
     */
    public Builder requireTokenizer(boolean require) {
      this.requireTokenizer = require;
      return this;
    }

    /**
     * Reads the configuration, opens the checkpoint, loads the weights and the tokenizer.
     *
     * @throws java.nio.file.NoSuchFileException if the checkpoint directory does not exist
     * @throws java.nio.file.NotDirectoryException if the checkpoint path is a file, not a directory
     * @throws IOException naming the file and problem: a missing or malformed {@code config.json},
     *     an unsupported architecture, a malformed or missing shard, a required tensor missing or
     *     misshapen, a missing tokenizer when one is required
     * @throws TokenizerException naming {@code tokenizer.json} when the tokenizer can produce an id
     *     the model does not have: its largest id (vocabulary and added tokens together) must be
     *     below {@code vocab_size}
     * @throws IllegalStateException if the weights the store is about to hold (float32: all of them
     *     when resident, the device budget when streaming) cannot fit under JavaCPP's native memory
     *     limits; the message names {@code -Dorg.bytedeco.javacpp.maxbytes} and {@code
     *     -Dorg.bytedeco.javacpp.maxphysicalbytes} and the bytes needed (not checked for a custom
     *     {@link #weightStore} factory, whose needs are unknown)
     */
    /**
     * Opens an encoder-decoder checkpoint (Switch Transformers) with the store these settings
     * describe (resident, the layer ring, or the expert cache under {@link #deviceMemory}); the
     * tokenizer is not loaded. The model owns the store and the checkpoint.
     *
     * @throws IllegalArgumentException for a decoder-only checkpoint, or a budget too small
     */
    public dev.ringmoe.seq2seq.EncoderDecoderModel buildEncoderDecoder() throws IOException {
      Preconditions.checkState(checkpoint != null, "checkpoint(directory) is required");
      if (routingMode == RoutingMode.SIDA && !(predictor instanceof RoutingPredictor)) {
        throw new IllegalStateException(
            "routing mode SIDA needs a predictor that predicts routing probabilities"
                + " (a RoutingPredictor, such as a trained SiDA hash network), set with predictor(...)");
      }
      ModelConfig config = ModelConfig.load(checkpoint);
      if (config.encoderDecoder() == null) {
        throw new IllegalArgumentException(
            checkpoint
                + " holds a decoder-only model ("
                + config.architecture().name()
                + "): build() it");
      }
      Checkpoint files = Checkpoint.open(checkpoint);
      try {
        if (weightStore == null) {
          NativeMemoryLimits.check(
              heldWeightBytes(config, files),
              "the model's weights held in memory (" + checkpoint + ")");
        }
        WeightStore store = storeFactory().open(files, config);
        LOG.info("loaded {} from {}", config, checkpoint);
        dev.ringmoe.seq2seq.EncoderDecoderModel model =
            dev.ringmoe.seq2seq.EncoderDecoderModel.owning(config, checkpoint, store, store, files);
        if (routingMode == RoutingMode.SIDA) {
          // SiDA routes the encoder's sparse layers by the hash network, as in the paper
          model.sidaRouting((RoutingPredictor) predictor);
        }
        return model;
      } catch (IOException | RuntimeException e) {
        files.close();
        throw e;
      }
    }

    /**
     * Opens the decoder-only model.
     *
     * @throws IllegalArgumentException for an encoder-decoder checkpoint (use {@link
     *     #buildEncoderDecoder()})
     */
    public MoeModel build() throws IOException {
      Preconditions.checkState(checkpoint != null, "checkpoint(directory) is required");
      if (routingMode == RoutingMode.SIDA && !(predictor instanceof RoutingPredictor)) {
        throw new IllegalStateException(
            "routing mode SIDA needs a predictor that predicts routing probabilities"
                + " (a RoutingPredictor, such as a trained SiDA hash network), set with predictor(...)");
      }
      if (!Files.exists(checkpoint)) {
        throw new java.nio.file.NoSuchFileException(
            checkpoint.toString(), null, "no such checkpoint directory");
      }
      if (!Files.isDirectory(checkpoint)) {
        throw new java.nio.file.NotDirectoryException(checkpoint.toString());
      }
      ModelConfig config = ModelConfig.load(checkpoint);
      if (config.encoderDecoder() != null) {
        throw new IllegalArgumentException(
            checkpoint
                + " holds an encoder-decoder ("
                + config.architecture().name()
                + "): open it with buildEncoderDecoder() or dev.ringmoe.seq2seq.EncoderDecoderModel");
      }
      Tokenizer tokenizer = null;
      if (requireTokenizer || Files.exists(checkpoint.resolve("tokenizer.json"))) {
        tokenizer = Tokenizer.load(checkpoint);
      }
      Checkpoint files = null;
      try {
        if (tokenizer != null) {
          checkTokenizerFits(tokenizer, config);
        }
        files = Checkpoint.open(checkpoint);
        if (weightStore == null) {
          NativeMemoryLimits.check(
              heldWeightBytes(config, files),
              "the model's weights held in memory ("
                  + (deviceBytes == 0 && deviceFraction == 0
                      ? "every weight resident"
                      : "the device memory budget")
                  + ", "
                  + checkpoint
                  + ")");
        }
        WeightStore store = storeFactory().open(files, config);
        LOG.info("loaded {} from {}", config, checkpoint);
        MoeModel model = new MoeModel(checkpoint, config, files, store, tokenizer);
        if (routingMode == RoutingMode.SIDA) {
          model.decoder.sidaRouting((RoutingPredictor) predictor);
        }
        return model;
      } catch (IOException | RuntimeException e) {
        if (files != null) {
          files.close();
        }
        if (tokenizer != null) {
          tokenizer.close();
        }
        throw e;
      }
    }
  }
}
