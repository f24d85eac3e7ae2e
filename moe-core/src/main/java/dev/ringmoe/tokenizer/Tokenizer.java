package dev.ringmoe.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer of a Hugging Face-format checkpoint: text to token ids and back, exactly as Hugging
 * Face {@code tokenizers}/{@code transformers} do it for that checkpoint.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #load(Path)} reads the checkpoint directory's {@code tokenizer.json} (required),
 *       and, when present, {@code tokenizer_config.json} ({@code add_bos_token}, {@code
 *       add_eos_token}, {@code bos_token}, {@code eos_token}), {@code generation_config.json} and
 *       {@code config.json} ({@code bos_token_id}, {@code eos_token_id}; the latter an int or a
 *       list of ints). Generation settings take precedence over the model config, which takes
 *       precedence over the tokenizer's own bos/eos token strings.
 *   <li>{@link #encode(String)} returns the ids Hugging Face gives with special tokens, no
 *       truncation and no padding. The special tokens come from {@code tokenizer.json}'s {@code
 *       post_processor}; where {@code tokenizer_config.json} states {@code add_bos_token}/{@code
 *       add_eos_token} explicitly, that setting wins (as Hugging Face's {@code LlamaTokenizerFast}
 *       does): a BOS/EOS the post-processor does not add is added, one it adds is removed. A BOS is
 *       never doubled: when the text itself starts with the BOS token string (for example a prompt
 *       already rendered with {@code <s>}), no second BOS is put in front.
 *   <li>{@link #decode(int[])} skips special tokens; {@link #decode(int[], boolean)} lets the
 *       caller keep them. Ids outside {@code [0, vocabSize())} are rejected with {@link
 *       IllegalArgumentException}.
 *   <li>{@link #newStreamingDecoder(int[])} turns generated ids into text one token at a time, with
 *       the prompt's ids as context so that {@code decode(prompt) + pieces == decode(prompt ++
 *       generated)}, holding back incomplete UTF-8 sequences and unfinished runs of byte-fallback
 *       tokens.
 *   <li>The side files' settings have strict JSON types ({@code add_bos_token} is {@code
 *       true}/{@code false}, ids are integers or lists of integers) and every token id in {@code
 *       tokenizer.json} lies in {@code [0, 2147483646]}; anything else is a {@link
 *       TokenizerException} naming the file.
 * </ul>
 *
 * <h2>Native library and offline operation</h2>
 *
 * The work is done by DJL's bundled Rust {@code tokenizers} library, which DJL extracts from its
 * jar into its cache directory ({@code DJL_CACHE_DIR} / {@code ENGINE_CACHE_DIR}, by default {@code
 * ~/.djl.ai}). Before DJL is first touched this class sets the system properties {@code
 * RUST_FLAVOR=cpu} and {@code ai.djl.offline=true} unless the host application already set them (as
 * environment variable or system property), so DJL picks the CPU library shipped in the jar and
 * never tries to download a CUDA build. A host that deliberately sets another {@code RUST_FLAVOR}
 * keeps its choice.
 *
 * <h2>Thread safety</h2>
 *
 * After {@link #load(Path)} returns, the instance is immutable: {@link #encode}, {@link #decode}
 * and the accessors may be called concurrently from any number of threads (the underlying Rust
 * tokenizer is {@code Sync} and DJL keeps no per-call state on the Java side). {@link #close()}
 * must not race with other calls; calls after {@code close()} throw {@link IllegalStateException}.
 * {@link StreamingDecoder} instances are not thread-safe; use one per generated sequence.
 */
public final class Tokenizer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Tokenizer.class);

  /** File names inside a checkpoint directory. */
  static final String TOKENIZER_JSON = "tokenizer.json";

  static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
  static final String CONFIG_JSON = "config.json";
  static final String GENERATION_CONFIG_JSON = "generation_config.json";

  private static final String PROBE_1 = "a";
  private static final String PROBE_2 = "Hello world 12";

  static {
    ensureOfflineNativeDefaults();
  }

  private final HuggingFaceTokenizer hf;
  private final Map<String, Integer> tokenIds;
  private final Set<Integer> specialIds;
  private final int vocabSize;
  private final OptionalInt bosId;
  private final Set<Integer> eosIds;

  /**
   * BOS id of the tokenizer itself (its {@code bos_token}), used for the double-BOS guard; -1 if
   * none.
   */
  private final int tokenizerBosId;

  /** Ids placed before/after the text's ids when special tokens are added. */
  private final int[] prefix;

  private final int[] suffix;

  /**
   * Ids of the byte-fallback tokens {@code <0xNN>} when the decoder has ByteFallback; empty
   * otherwise.
   */
  private final Set<Integer> byteTokens;

  private volatile boolean closed;

  private Tokenizer(
      HuggingFaceTokenizer hf,
      Map<String, Integer> tokenIds,
      Set<Integer> specialIds,
      int vocabSize,
      OptionalInt bosId,
      Set<Integer> eosIds,
      int tokenizerBosId,
      int[] prefix,
      int[] suffix,
      Set<Integer> byteTokens) {
    this.hf = hf;
    this.tokenIds = tokenIds;
    this.specialIds = specialIds;
    this.vocabSize = vocabSize;
    this.bosId = bosId;
    this.eosIds = eosIds;
    this.tokenizerBosId = tokenizerBosId;
    this.prefix = prefix;
    this.suffix = suffix;
    this.byteTokens = byteTokens;
  }

  /**
   * Makes DJL use the CPU tokenizers library bundled in its jar and never download anything, unless
   * the host application chose otherwise. Idempotent; called from this class's static initialiser,
   * before any DJL class that loads the native library is initialised.
   */
  static void ensureOfflineNativeDefaults() {
    if (isBlank(System.getenv("RUST_FLAVOR")) && isBlank(System.getProperty("RUST_FLAVOR"))) {
      System.setProperty("RUST_FLAVOR", "cpu");
    } else {
      String flavor =
          !isBlank(System.getenv("RUST_FLAVOR"))
              ? System.getenv("RUST_FLAVOR")
              : System.getProperty("RUST_FLAVOR");
      if (!"cpu".equals(flavor)) {
        LOG.warn(
            "RUST_FLAVOR={} was set by the host; DJL may try to download that tokenizers build",
            flavor);
      }
    }
    if (isBlank(System.getenv("DJL_OFFLINE")) && isBlank(System.getProperty("ai.djl.offline"))) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  /**
   * Loads the tokenizer of a Hugging Face-format checkpoint directory.
   *
   * @param checkpointDir directory holding {@code tokenizer.json} and optionally {@code
   *     tokenizer_config.json}, {@code config.json}, {@code generation_config.json}
   * @return a tokenizer that must be {@linkplain #close() closed} to free its native memory
   * @throws TokenizerException if {@code tokenizer.json} is missing or any of the files is
   *     malformed
   * @throws IOException if a file cannot be read
   */
  public static Tokenizer load(Path checkpointDir) throws IOException {
    Objects.requireNonNull(checkpointDir, "checkpointDir");
    ensureOfflineNativeDefaults();
    Path tokenizerJson = checkpointDir.resolve(TOKENIZER_JSON);
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new TokenizerException(
          "Missing "
              + tokenizerJson.toAbsolutePath()
              + ": a tokenizer.json is required to load the tokenizer of checkpoint "
              + checkpointDir.toAbsolutePath()
              + " (the Hugging Face tokenizers file that save_pretrained "
              + "writes next to the weights)");
    }

    // Vocabulary, from tokenizer.json itself.
    JsonObject root = readJsonObject(tokenizerJson);
    Map<String, Integer> ids = new HashMap<>();
    Set<Integer> special = new LinkedHashSet<>();
    readVocabulary(root, tokenizerJson, ids, special);
    int vocab =
        ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1)
            + 1; // ids checked: no overflow

    // Settings.
    Settings tokConfig = Settings.read(checkpointDir.resolve(TOKENIZER_CONFIG_JSON));
    Settings config = Settings.read(checkpointDir.resolve(CONFIG_JSON));
    Settings genConfig = Settings.read(checkpointDir.resolve(GENERATION_CONFIG_JSON));
    Boolean addBos = tokConfig.optBoolean("add_bos_token");
    Boolean addEos = tokConfig.optBoolean("add_eos_token");
    Integer tokBos = tokConfig.tokenStringId("bos_token", ids);
    Integer tokEos = tokConfig.tokenStringId("eos_token", ids);

    Integer modelBos =
        firstNonNull(genConfig.optInt("bos_token_id"), config.optInt("bos_token_id"));
    // Both files are read (and their types checked) even where the first one decides.
    List<Integer> genEos = genConfig.optIntList("eos_token_id");
    List<Integer> configEos = config.optIntList("eos_token_id");
    List<Integer> modelEos = genEos.isEmpty() ? configEos : genEos;
    Integer bos = firstNonNull(modelBos, tokBos);
    Set<Integer> eos = new LinkedHashSet<>(modelEos);
    if (eos.isEmpty() && tokEos != null) {
      eos.add(tokEos);
    }
    // The ids the tokenizer itself uses when it adds BOS/EOS.
    Integer encBos = firstNonNull(tokBos, modelBos);
    Integer encEos = firstNonNull(tokEos, modelEos.isEmpty() ? null : modelEos.get(0));

    HuggingFaceTokenizer hf = createNative(tokenizerJson);
    try {
      int[][] affixes = probeAffixes(hf, tokenizerJson);
      int[] prefix = affixes[0];
      int[] suffix = affixes[1];
      if (addBos != null) {
        if (addBos) {
          if (encBos == null) {
            throw new TokenizerException(
                checkpointDir.resolve(TOKENIZER_CONFIG_JSON)
                    + " sets add_bos_token but no BOS token id is known (bos_token missing or not in "
                    + "the vocabulary, and no bos_token_id in config.json/generation_config.json)");
          }
          if (!contains(prefix, encBos)) {
            prefix = concat(new int[] {encBos}, prefix);
          }
        } else if (encBos != null) {
          prefix = removeFirst(prefix, encBos);
        }
      }
      if (addEos != null) {
        if (addEos) {
          if (encEos == null) {
            throw new TokenizerException(
                checkpointDir.resolve(TOKENIZER_CONFIG_JSON)
                    + " sets add_eos_token but no EOS token id is known");
          }
          if (!contains(suffix, encEos)) {
            suffix = concat(suffix, new int[] {encEos});
          }
        } else if (encEos != null) {
          suffix = removeLast(suffix, encEos);
        }
      }
      LOG.debug(
          "Loaded {}: vocab {}, special prefix {}, suffix {}",
          tokenizerJson,
          vocab,
          Arrays.toString(prefix),
          Arrays.toString(suffix));
      return new Tokenizer(
          hf,
          Collections.unmodifiableMap(ids),
          Collections.unmodifiableSet(special),
          vocab,
          bos == null ? OptionalInt.empty() : OptionalInt.of(bos),
          Collections.unmodifiableSet(eos),
          encBos == null ? -1 : encBos,
          prefix,
          suffix,
          byteTokens(root, ids));
    } catch (IOException | RuntimeException e) {
      hf.close();
      throw e;
    }
  }

  private static HuggingFaceTokenizer createNative(Path tokenizerJson) throws IOException {
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("truncation", "false");
    options.put("padding", "false");
    options.put("withOverflowingTokens", "false");
    options.put("doLowerCase", "false");
    try (InputStream in = Files.newInputStream(tokenizerJson)) {
      // The stream variant does not read tokenizer_config.json on its own: we apply those settings
      // ourselves.
      return HuggingFaceTokenizer.newInstance(in, options);
    } catch (IOException e) {
      throw e;
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new TokenizerException(
          "Cannot create a tokenizer from "
              + tokenizerJson.toAbsolutePath()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Finds the special ids the post-processor puts before and after a single sequence, by encoding
   * probe texts with and without special tokens.
   */
  private static int[][] probeAffixes(HuggingFaceTokenizer hf, Path tokenizerJson)
      throws TokenizerException {
    int[][] a = affixesOf(hf, PROBE_1);
    int[][] b = affixesOf(hf, PROBE_2);
    if (a == null || b == null || !Arrays.equals(a[0], b[0]) || !Arrays.equals(a[1], b[1])) {
      throw new TokenizerException(
          "Unsupported post_processor in "
              + tokenizerJson.toAbsolutePath()
              + ": it does not add a fixed set of special tokens around a single sequence");
    }
    return a;
  }

  private static int[][] affixesOf(HuggingFaceTokenizer hf, String text) {
    int[] full = toInts(hf.encode(text, true, false).getIds());
    int[] core = toInts(hf.encode(text, false, false).getIds());
    for (int k = 0; k + core.length <= full.length; k++) {
      if (Arrays.equals(full, k, k + core.length, core, 0, core.length)) {
        return new int[][] {
          Arrays.copyOfRange(full, 0, k), Arrays.copyOfRange(full, k + core.length, full.length)
        };
      }
    }
    return null;
  }

  /** Encodes text with the checkpoint's special tokens (BOS for Llama/Mixtral-style tokenizers). */
  public int[] encode(String text) {
    return encode(text, true);
  }

  /**
   * Encodes text.
   *
   * @param text the text; must not be null
   * @param addSpecialTokens whether to add the checkpoint's special tokens (see the class contract)
   * @return the token ids, a fresh array
   */
  public int[] encode(String text, boolean addSpecialTokens) {
    Objects.requireNonNull(text, "text");
    checkOpen();
    int[] core = toInts(hf.encode(text, false, false).getIds());
    if (!addSpecialTokens || (prefix.length == 0 && suffix.length == 0)) {
      return core;
    }
    int[] pre = prefix;
    if (tokenizerBosId >= 0
        && pre.length > 0
        && pre[pre.length - 1] == tokenizerBosId
        && core.length > 0
        && core[0] == tokenizerBosId) {
      pre = Arrays.copyOf(pre, pre.length - 1); // never a double BOS
    }
    int[] out = new int[pre.length + core.length + suffix.length];
    System.arraycopy(pre, 0, out, 0, pre.length);
    System.arraycopy(core, 0, out, pre.length, core.length);
    System.arraycopy(suffix, 0, out, pre.length + core.length, suffix.length);
    return out;
  }

  /** Decodes ids to text, skipping special tokens (BOS, EOS, ...). */
  public String decode(int[] ids) {
    return decode(ids, true);
  }

  /**
   * Decodes ids to text with the checkpoint's decoder.
   *
   * @param ids token ids, each in {@code [0, vocabSize())}
   * @param skipSpecial whether special tokens are left out of the text
   * @return the text
   * @throws IllegalArgumentException if an id is out of range
   */
  public String decode(int[] ids, boolean skipSpecial) {
    Objects.requireNonNull(ids, "ids");
    return decode(ids, 0, ids.length, skipSpecial);
  }

  String decode(int[] ids, int from, int to, boolean skipSpecial) {
    checkOpen();
    long[] l = new long[to - from];
    for (int i = from; i < to; i++) {
      int id = ids[i];
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException(
            "Token id "
                + id
                + " at index "
                + i
                + " is outside the vocabulary [0, "
                + vocabSize
                + ")");
      }
      l[i - from] = id;
    }
    return hf.decode(l, skipSpecial);
  }

  /**
   * The model's BOS id ({@code bos_token_id} of generation/model config, else the tokenizer's
   * bos_token).
   */
  public OptionalInt bosId() {
    return bosId;
  }

  /**
   * The ids that end generation: {@code eos_token_id} of {@code generation_config.json}, else of
   * {@code config.json}, else the tokenizer's {@code eos_token}. Unmodifiable, in file order; may
   * be empty.
   */
  public Set<Integer> eosIds() {
    return eosIds;
  }

  /** Whether {@code id} is one of {@link #eosIds()}. */
  public boolean isEos(int id) {
    return eosIds.contains(id);
  }

  /**
   * Number of token ids, model vocabulary and added tokens together (one more than the largest id).
   * This is the size of the embedding/logits dimension a checkpoint for this tokenizer needs at
   * least.
   */
  public int vocabSize() {
    return vocabSize;
  }

  /**
   * The id of a token string (a vocabulary entry or added token, e.g. {@code "<s>"}), if it has
   * one.
   */
  public OptionalInt tokenId(String token) {
    Integer id = tokenIds.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /** Ids of the added tokens marked special in {@code tokenizer.json}. Unmodifiable. */
  public Set<Integer> specialIds() {
    return specialIds;
  }

  /**
   * A new decoder for printing one sequence incrementally from its start (no context), skipping
   * special tokens. For generated text, prefer {@link #newStreamingDecoder(int[])} with the prompt:
   * without it the first generated word loses its leading space.
   */
  public StreamingDecoder newStreamingDecoder() {
    return newStreamingDecoder(new int[0], true);
  }

  /**
   * A streaming decoder without context that keeps special tokens in its text when {@code
   * skipSpecial} is false.
   */
  public StreamingDecoder newStreamingDecoder(boolean skipSpecial) {
    return newStreamingDecoder(new int[0], skipSpecial);
  }

  /**
   * A new decoder for the text generated after {@code context} (the prompt's ids), skipping special
   * tokens: the pieces it returns are what {@code decode(context ++ generated)} adds to {@code
   * decode(context)}; see {@link StreamingDecoder} for the exact contract.
   *
   * @throws IllegalArgumentException if a context id is outside {@code [0, vocabSize())}
   */
  public StreamingDecoder newStreamingDecoder(int[] context) {
    return newStreamingDecoder(context, true);
  }

  /**
   * As {@link #newStreamingDecoder(int[])}, keeping special tokens in the text when {@code
   * skipSpecial} is false.
   *
   * @throws IllegalArgumentException if a context id is outside {@code [0, vocabSize())}
   */
  public StreamingDecoder newStreamingDecoder(int[] context, boolean skipSpecial) {
    Objects.requireNonNull(context, "context");
    checkOpen();
    return new StreamingDecoder(this, context, skipSpecial);
  }

  private void checkId(int id, String what) {
    if (id < 0 || id >= vocabSize) {
      throw new IllegalArgumentException(
          "Token id " + id + " (" + what + ") is outside the vocabulary [0, " + vocabSize + ")");
    }
  }

  /**
   * Whether {@code id} is a byte-fallback token {@code <0xNN>} of a decoder that has {@code
   * ByteFallback}.
   */
  boolean isByteFallbackToken(int id) {
    return byteTokens.contains(id);
  }

  /** Frees the native tokenizer. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      hf.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Tokenizer is closed");
    }
  }

  /**
   * Turns generated token ids into text incrementally, for printing as tokens arrive.
   *
   * <h3>Contract</h3>
   *
   * Let {@code C} be the context ids the decoder was made with ({@linkplain
   * #newStreamingDecoder(int[]) the prompt}; empty for {@link #newStreamingDecoder()}) and {@code
   * G} the ids fed to {@link #next(int)}. Then
   *
   * <pre>{@code decode(C) + (every piece next() returned) + flush() == decode(C ++ G)}</pre>
   *
   * (with the decoder's {@code skipSpecial}) whenever {@code decode(C)} is a prefix of {@code
   * decode(C ++ G)}. That holds for the SentencePiece/BPE decoders of the reference checkpoints
   * (Metaspace-style "▁" to space, byte fallback, fuse, strip of one leading space) except when
   * {@code C} itself ends inside a multi-byte character, a run of byte tokens that the generated
   * ids continue; then the pieces are the text of {@code decode(C ++ G)} after its longest common
   * prefix with {@code decode(C)}. Decoding with the prompt as context is what keeps the space in
   * front of the first generated word: SentencePiece decoders drop the leading space of a decoded
   * text, which is right at the start of the prompt and wrong at the start of the generation.
   *
   * <p>Text is held back (a piece is empty) while it may still change: while the decoded text ends
   * in an incomplete UTF-8 sequence (shown by the decoder as U+FFFD), and, for tokenizers whose
   * decoder has {@code ByteFallback}, while the last id is a byte token {@code <0xNN>} (special
   * tokens that are skipped do not count: they are removed before the decoder sees the run),
   * because the decoder turns a whole run of byte tokens into U+FFFD per byte when any byte of the
   * run is invalid, which changes text already decoded. {@link #flush()} returns what is held back
   * at the end of a generation. To stay cheap on long generations only a window of ids since the
   * last emitted piece is decoded, always starting at a token boundary that was already emitted and
   * that follows a non-byte token (so the leading-space strip and byte runs apply alike to both
   * decodings compared); the first piece decodes the whole context once.
   *
   * <p>Not thread-safe; one instance per generated sequence.
   */
  public static final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;

    /** Context ids followed by the ids fed. */
    private int[] ids;

    private final int contextLength;
    private int size;

    /** Start of the decode window: ids before it are fully emitted and no longer decoded. */
    private int prefixOffset;

    /** Ids before this have been emitted. */
    private int readOffset;

    /**
     * {@code decode(ids[prefixOffset, readOffset))}, or null until computed for the current window.
     */
    private String prefixText;

    StreamingDecoder(Tokenizer tokenizer, int[] context, boolean skipSpecial) {
      this.tokenizer = tokenizer;
      this.skipSpecial = skipSpecial;
      for (int i = 0; i < context.length; i++) {
        tokenizer.checkId(context[i], "context index " + i);
      }
      this.ids = Arrays.copyOf(context, Math.max(16, context.length + 16));
      this.contextLength = context.length;
      this.size = context.length;
      this.readOffset = context.length;
    }

    /**
     * Appends a token and returns the text it completes: possibly empty (e.g. the first bytes of a
     * multi-byte character, or a skipped special token), possibly several characters.
     *
     * @throws IllegalArgumentException if the id is out of the vocabulary
     */
    public String next(int tokenId) {
      tokenizer.checkId(tokenId, "token");
      if (size == ids.length) {
        ids = Arrays.copyOf(ids, size * 2);
      }
      ids[size++] = tokenId;
      if (tokenizer.isByteFallbackToken(tokenId)) {
        return ""; // its run of bytes may still be invalidated by the next byte
      }
      if (skipSpecial && tokenizer.specialIds.contains(tokenId)) {
        // Adds no text, and is removed before the decoder runs: a run of byte tokens continues
        // across it.
        return "";
      }
      return emit(false);
    }

    /**
     * Returns whatever is still held back (for example an incomplete UTF-8 sequence at the end of
     * the generation, which then appears as U+FFFD) and marks it emitted. Call it once the sequence
     * is complete; after a flush in mid-sequence the contract above holds only for the text before
     * it.
     */
    public String flush() {
      return emit(true);
    }

    /** The ids fed so far (without the context). */
    public int[] ids() {
      return Arrays.copyOfRange(ids, contextLength, size);
    }

    private String emit(boolean force) {
      if (readOffset == size) {
        return "";
      }
      if (prefixText == null) {
        prefixText = tokenizer.decode(ids, prefixOffset, readOffset, skipSpecial);
      }
      String newText = tokenizer.decode(ids, prefixOffset, size, skipSpecial);
      if (!force && (newText.length() <= prefixText.length() || newText.endsWith("\uFFFD"))) {
        return "";
      }
      String piece = newText.substring(commonPrefixLength(prefixText, newText));
      prefixOffset = readOffset;
      readOffset = size;
      prefixText = null;
      return piece;
    }

    /** Length of the longest common prefix, not splitting a surrogate pair. */
    private static int commonPrefixLength(String a, String b) {
      if (b.startsWith(a)) {
        return a.length();
      }
      int n = 0;
      int max = Math.min(a.length(), b.length());
      while (n < max && a.charAt(n) == b.charAt(n)) {
        n++;
      }
      if (n > 0 && Character.isHighSurrogate(b.charAt(n - 1))) {
        n--;
      }
      return n;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // JSON helpers

  private static JsonObject readJsonObject(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      JsonElement e = JsonParser.parseReader(r);
      if (!e.isJsonObject()) {
        throw new TokenizerException(file.toAbsolutePath() + " is not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new TokenizerException(
          file.toAbsolutePath() + " is not valid JSON: " + e.getMessage(), e);
    } catch (CharacterCodingException e) {
      throw new TokenizerException(file.toAbsolutePath() + " is not valid UTF-8: " + e, e);
    }
  }

  private static JsonObject readOptionalJsonObject(Path file) throws IOException {
    return Files.isRegularFile(file) ? readJsonObject(file) : null;
  }

  private static void readVocabulary(
      JsonObject root, Path file, Map<String, Integer> ids, Set<Integer> special)
      throws TokenizerException {
    try {
      JsonElement model = root.get("model");
      if (model != null && model.isJsonObject()) {
        JsonElement vocab = model.getAsJsonObject().get("vocab");
        if (vocab != null && vocab.isJsonObject()) { // BPE, WordPiece, WordLevel
          for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
            ids.put(
                e.getKey(), tokenId(e.getValue(), "model.vocab[" + quote(e.getKey()) + "]", file));
          }
        } else if (vocab != null && vocab.isJsonArray()) { // Unigram: [[piece, score], ...]
          JsonArray arr = vocab.getAsJsonArray();
          for (int i = 0; i < arr.size(); i++) {
            ids.put(arr.get(i).getAsJsonArray().get(0).getAsString(), i);
          }
        }
      }
      JsonElement added = root.get("added_tokens");
      if (added != null && added.isJsonArray()) {
        for (JsonElement el : added.getAsJsonArray()) {
          JsonObject t = el.getAsJsonObject();
          String content = t.get("content").getAsString();
          int id = tokenId(t.get("id"), "added_tokens " + quote(content) + " id", file);
          ids.put(content, id);
          JsonElement sp = t.get("special");
          if (sp != null && sp.isJsonPrimitive() && sp.getAsBoolean()) {
            special.add(id);
          }
        }
      }
    } catch (TokenizerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new TokenizerException(
          "Cannot read the vocabulary of " + file.toAbsolutePath() + ": " + e, e);
    }
    if (ids.isEmpty()) {
      throw new TokenizerException(file.toAbsolutePath() + " has an empty vocabulary");
    }
  }

  /**
   * A token id: a JSON integer from 0 to 2147483646, so that {@link #vocabSize()} (largest id + 1)
   * is an int.
   */
  private static int tokenId(JsonElement e, String what, Path file) throws TokenizerException {
    Integer id = strictInt(e);
    if (id == null || id < 0 || id == Integer.MAX_VALUE) {
      throw new TokenizerException(
          file.toAbsolutePath()
              + ": "
              + what
              + " must be a token id from 0 to "
              + (Integer.MAX_VALUE - 1)
              + ", was "
              + e);
    }
    return id;
  }

  /**
   * The value when {@code e} is a JSON integer literal (no fraction or exponent) in int range, else
   * null.
   */
  private static Integer strictInt(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return null;
    }
    String s = e.getAsJsonPrimitive().getAsString();
    if (!s.matches("-?(0|[1-9][0-9]{0,9})")) {
      return null;
    }
    long v = Long.parseLong(s);
    return v == (int) v ? (int) v : null;
  }

  private static String quote(String s) {
    return s.length() > 40 ? new Gson().toJson(s.substring(0, 40)) + "..." : new Gson().toJson(s);
  }

  /**
   * The ids whose token is {@code <0xNN>} (as Hugging Face's ByteFallback decoder recognises them:
   * six characters, two hexadecimal digits), if the decoder, or a decoder of its Sequence, is
   * ByteFallback.
   */
  private static Set<Integer> byteTokens(JsonObject root, Map<String, Integer> ids) {
    if (!hasDecoder(root.get("decoder"), "ByteFallback", 0)) {
      return Collections.emptySet();
    }
    Set<Integer> out = new HashSet<>();
    for (Map.Entry<String, Integer> e : ids.entrySet()) {
      String t = e.getKey();
      if (t.length() == 6
          && t.startsWith("<0x")
          && t.endsWith(">")
          && isHex(t.charAt(3))
          && isHex(t.charAt(4))) {
        out.add(e.getValue());
      }
    }
    return Collections.unmodifiableSet(out);
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static boolean hasDecoder(JsonElement decoder, String type, int depth) {
    if (decoder == null || !decoder.isJsonObject() || depth > 8) {
      return false;
    }
    JsonObject d = decoder.getAsJsonObject();
    JsonElement t = d.get("type");
    if (t != null && t.isJsonPrimitive() && type.equals(t.getAsString())) {
      return true;
    }
    JsonElement list = d.get("decoders");
    if (list != null && list.isJsonArray()) {
      for (JsonElement x : list.getAsJsonArray()) {
        if (hasDecoder(x, type, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A settings file ({@code tokenizer_config.json}, {@code config.json}, ...) read with strict
   * types.
   */
  private static final class Settings {
    private final JsonObject json;
    private final Path file;

    Settings(JsonObject json, Path file) {
      this.json = json;
      this.file = file;
    }

    static Settings read(Path file) throws IOException {
      return new Settings(readOptionalJsonObject(file), file);
    }

    private JsonElement get(String key) {
      if (json == null) {
        return null;
      }
      JsonElement e = json.get(key);
      return e == null || e.isJsonNull() ? null : e;
    }

    private TokenizerException wrong(String key, String expected, JsonElement e) {
      String shown = e.toString();
      return new TokenizerException(
          file.toAbsolutePath()
              + ": field '"
              + key
              + "' must be "
              + expected
              + ", was "
              + (shown.length() > 80 ? shown.substring(0, 80) + "..." : shown));
    }

    /** true/false, or null when absent or null. */
    Boolean optBoolean(String key) throws TokenizerException {
      JsonElement e = get(key);
      if (e == null) {
        return null;
      }
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
        throw wrong(key, "true or false", e);
      }
      return e.getAsBoolean();
    }

    /** An int, or the first of a list of ints; null when absent, null or an empty list. */
    Integer optInt(String key) throws TokenizerException {
      List<Integer> all = optIntList(key);
      return all.isEmpty() ? null : all.get(0);
    }

    /** An int or a list of ints; empty when absent or null. */
    List<Integer> optIntList(String key) throws TokenizerException {
      List<Integer> out = new ArrayList<>();
      JsonElement e = get(key);
      if (e == null) {
        return out;
      }
      String expected = "an integer or a list of integers";
      if (e.isJsonArray()) {
        for (JsonElement x : e.getAsJsonArray()) {
          Integer v = strictInt(x);
          if (v == null) {
            throw wrong(key, expected, e);
          }
          out.add(v);
        }
      } else {
        Integer v = strictInt(e);
        if (v == null) {
          throw wrong(key, expected, e);
        }
        out.add(v);
      }
      return out;
    }

    /**
     * The id of a token given as a string or as an AddedToken object ({@code content}); null if
     * unknown.
     */
    Integer tokenStringId(String key, Map<String, Integer> ids) throws TokenizerException {
      JsonElement e = get(key);
      if (e == null) {
        return null;
      }
      JsonElement s = e;
      if (e.isJsonObject()) {
        s = e.getAsJsonObject().get("content");
        if (s == null || s.isJsonNull()) {
          return null;
        }
      }
      if (!s.isJsonPrimitive() || !s.getAsJsonPrimitive().isString()) {
        throw wrong(key, "a token string or an object with a string 'content'", e);
      }
      return ids.get(s.getAsString());
    }
  }

  @SafeVarargs
  private static <T> T firstNonNull(T... values) {
    for (T v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // array helpers

  private static int[] toInts(long[] l) {
    int[] out = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      out[i] = Math.toIntExact(l[i]);
    }
    return out;
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static int[] removeFirst(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return concat(Arrays.copyOfRange(a, 0, i), Arrays.copyOfRange(a, i + 1, a.length));
      }
    }
    return a;
  }

  private static int[] removeLast(int[] a, int v) {
    for (int i = a.length - 1; i >= 0; i--) {
      if (a[i] == v) {
        return concat(Arrays.copyOfRange(a, 0, i), Arrays.copyOfRange(a, i + 1, a.length));
      }
    }
    return a;
  }
}
