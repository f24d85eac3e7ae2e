package dev.ringmoe.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer of a Hugging Face-format checkpoint: text to token ids and back, exactly as Hugging Face
 * {@code tokenizers}/{@code transformers} do it for that checkpoint.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #load(Path)} reads the checkpoint directory's {@code tokenizer.json} (required), and, when present,
 *       {@code tokenizer_config.json} ({@code add_bos_token}, {@code add_eos_token}, {@code bos_token},
 *       {@code eos_token}), {@code generation_config.json} and {@code config.json} ({@code bos_token_id},
 *       {@code eos_token_id}; the latter an int or a list of ints). Generation settings take precedence over the
 *       model config, which takes precedence over the tokenizer's own bos/eos token strings.</li>
 *   <li>{@link #encode(String)} returns the ids Hugging Face gives with special tokens, no truncation and no
 *       padding. The special tokens come from {@code tokenizer.json}'s {@code post_processor}; where
 *       {@code tokenizer_config.json} states {@code add_bos_token}/{@code add_eos_token} explicitly, that setting
 *       wins (as Hugging Face's {@code LlamaTokenizerFast} does): a BOS/EOS the post-processor does not add is
 *       added, one it adds is removed. A BOS is never doubled: when the text itself starts with the BOS token
 *       string (for example a prompt already rendered with {@code <s>}), no second BOS is put in front.</li>
 *   <li>{@link #decode(int[])} skips special tokens; {@link #decode(int[], boolean)} lets the caller keep
 *       them. Ids outside {@code [0, vocabSize())} are rejected with {@link IllegalArgumentException}.</li>
 *   <li>{@link #newStreamingDecoder()} turns generated ids into text one token at a time, holding back
 *       incomplete UTF-8 sequences produced by byte-fallback tokens.</li>
 * </ul>
 *
 * <h2>Native library and offline operation</h2>
 * The work is done by DJL's bundled Rust {@code tokenizers} library, which DJL extracts from its jar into its
 * cache directory ({@code DJL_CACHE_DIR} / {@code ENGINE_CACHE_DIR}, by default {@code ~/.djl.ai}). Before DJL is
 * first touched this class sets the system properties {@code RUST_FLAVOR=cpu} and {@code ai.djl.offline=true}
 * unless the host application already set them (as environment variable or system property), so DJL picks the
 * CPU library shipped in the jar and never tries to download a CUDA build. A host that deliberately sets another
 * {@code RUST_FLAVOR} keeps its choice.
 *
 * <h2>Thread safety</h2>
 * After {@link #load(Path)} returns, the instance is immutable: {@link #encode}, {@link #decode} and the accessors
 * may be called concurrently from any number of threads (the underlying Rust tokenizer is {@code Sync} and DJL
 * keeps no per-call state on the Java side). {@link #close()} must not race with other calls; calls after
 * {@code close()} throw {@link IllegalStateException}. {@link StreamingDecoder} instances are not thread-safe;
 * use one per generated sequence.
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
    /** BOS id of the tokenizer itself (its {@code bos_token}), used for the double-BOS guard; -1 if none. */
    private final int tokenizerBosId;
    /** Ids placed before/after the text's ids when special tokens are added. */
    private final int[] prefix;
    private final int[] suffix;
    private volatile boolean closed;

    private Tokenizer(HuggingFaceTokenizer hf, Map<String, Integer> tokenIds, Set<Integer> specialIds, int vocabSize,
                      OptionalInt bosId, Set<Integer> eosIds, int tokenizerBosId, int[] prefix, int[] suffix) {
        this.hf = hf;
        this.tokenIds = tokenIds;
        this.specialIds = specialIds;
        this.vocabSize = vocabSize;
        this.bosId = bosId;
        this.eosIds = eosIds;
        this.tokenizerBosId = tokenizerBosId;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /**
     * Makes DJL use the CPU tokenizers library bundled in its jar and never download anything, unless the host
     * application chose otherwise. Idempotent; called from this class's static initialiser, before any DJL class
     * that loads the native library is initialised.
     */
    static void ensureOfflineNativeDefaults() {
        if (isBlank(System.getenv("RUST_FLAVOR")) && isBlank(System.getProperty("RUST_FLAVOR"))) {
            System.setProperty("RUST_FLAVOR", "cpu");
        } else {
            String flavor = !isBlank(System.getenv("RUST_FLAVOR")) ? System.getenv("RUST_FLAVOR")
                    : System.getProperty("RUST_FLAVOR");
            if (!"cpu".equals(flavor)) {
                LOG.warn("RUST_FLAVOR={} was set by the host; DJL may try to download that tokenizers build", flavor);
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
     * @param checkpointDir directory holding {@code tokenizer.json} and optionally {@code tokenizer_config.json},
     *     {@code config.json}, {@code generation_config.json}
     * @return a tokenizer that must be {@linkplain #close() closed} to free its native memory
     * @throws TokenizerException if {@code tokenizer.json} is missing or any of the files is malformed
     * @throws IOException if a file cannot be read
     */
    public static Tokenizer load(Path checkpointDir) throws IOException {
        Objects.requireNonNull(checkpointDir, "checkpointDir");
        ensureOfflineNativeDefaults();
        Path tokenizerJson = checkpointDir.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new TokenizerException("Missing " + tokenizerJson.toAbsolutePath()
                    + ": a tokenizer.json is required to load the tokenizer of checkpoint "
                    + checkpointDir.toAbsolutePath() + " (the Hugging Face tokenizers file that save_pretrained "
                    + "writes next to the weights)");
        }

        // Vocabulary, from tokenizer.json itself.
        JsonObject root = readJsonObject(tokenizerJson);
        Map<String, Integer> ids = new HashMap<>();
        Set<Integer> special = new LinkedHashSet<>();
        readVocabulary(root, tokenizerJson, ids, special);
        int vocab = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;

        // Settings.
        JsonObject tokConfig = readOptionalJsonObject(checkpointDir.resolve(TOKENIZER_CONFIG_JSON));
        JsonObject config = readOptionalJsonObject(checkpointDir.resolve(CONFIG_JSON));
        JsonObject genConfig = readOptionalJsonObject(checkpointDir.resolve(GENERATION_CONFIG_JSON));
        Boolean addBos = optBoolean(tokConfig, "add_bos_token");
        Boolean addEos = optBoolean(tokConfig, "add_eos_token");
        Integer tokBos = tokenStringId(tokConfig, "bos_token", ids);
        Integer tokEos = tokenStringId(tokConfig, "eos_token", ids);

        Integer modelBos = firstNonNull(optInt(genConfig, "bos_token_id"), optInt(config, "bos_token_id"));
        List<Integer> modelEos = optIntList(genConfig, "eos_token_id");
        if (modelEos.isEmpty()) {
            modelEos = optIntList(config, "eos_token_id");
        }
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
                        throw new TokenizerException(checkpointDir.resolve(TOKENIZER_CONFIG_JSON)
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
                        throw new TokenizerException(checkpointDir.resolve(TOKENIZER_CONFIG_JSON)
                                + " sets add_eos_token but no EOS token id is known");
                    }
                    if (!contains(suffix, encEos)) {
                        suffix = concat(suffix, new int[] {encEos});
                    }
                } else if (encEos != null) {
                    suffix = removeLast(suffix, encEos);
                }
            }
            LOG.debug("Loaded {}: vocab {}, special prefix {}, suffix {}", tokenizerJson, vocab,
                    Arrays.toString(prefix), Arrays.toString(suffix));
            return new Tokenizer(hf, Collections.unmodifiableMap(ids), Collections.unmodifiableSet(special), vocab,
                    bos == null ? OptionalInt.empty() : OptionalInt.of(bos), Collections.unmodifiableSet(eos),
                    encBos == null ? -1 : encBos, prefix, suffix);
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
            // The stream variant does not read tokenizer_config.json on its own: we apply those settings ourselves.
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new TokenizerException("Cannot create a tokenizer from " + tokenizerJson.toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Finds the special ids the post-processor puts before and after a single sequence, by encoding probe texts
     * with and without special tokens.
     */
    private static int[][] probeAffixes(HuggingFaceTokenizer hf, Path tokenizerJson) throws TokenizerException {
        int[][] a = affixesOf(hf, PROBE_1);
        int[][] b = affixesOf(hf, PROBE_2);
        if (a == null || b == null || !Arrays.equals(a[0], b[0]) || !Arrays.equals(a[1], b[1])) {
            throw new TokenizerException("Unsupported post_processor in " + tokenizerJson.toAbsolutePath()
                    + ": it does not add a fixed set of special tokens around a single sequence");
        }
        return a;
    }

    private static int[][] affixesOf(HuggingFaceTokenizer hf, String text) {
        int[] full = toInts(hf.encode(text, true, false).getIds());
        int[] core = toInts(hf.encode(text, false, false).getIds());
        for (int k = 0; k + core.length <= full.length; k++) {
            if (Arrays.equals(full, k, k + core.length, core, 0, core.length)) {
                return new int[][] {Arrays.copyOfRange(full, 0, k), Arrays.copyOfRange(full, k + core.length,
                        full.length)};
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
        if (tokenizerBosId >= 0 && pre.length > 0 && pre[pre.length - 1] == tokenizerBosId
                && core.length > 0 && core[0] == tokenizerBosId) {
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
                throw new IllegalArgumentException("Token id " + id + " at index " + i + " is outside the vocabulary [0, "
                        + vocabSize + ")");
            }
            l[i - from] = id;
        }
        return hf.decode(l, skipSpecial);
    }

    /** The model's BOS id ({@code bos_token_id} of generation/model config, else the tokenizer's bos_token). */
    public OptionalInt bosId() {
        return bosId;
    }

    /**
     * The ids that end generation: {@code eos_token_id} of {@code generation_config.json}, else of
     * {@code config.json}, else the tokenizer's {@code eos_token}. Unmodifiable, in file order; may be empty.
     */
    public Set<Integer> eosIds() {
        return eosIds;
    }

    /** Whether {@code id} is one of {@link #eosIds()}. */
    public boolean isEos(int id) {
        return eosIds.contains(id);
    }

    /**
     * Number of token ids, model vocabulary and added tokens together (one more than the largest id). This is the
     * size of the embedding/logits dimension a checkpoint for this tokenizer needs at least.
     */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a token string (a vocabulary entry or added token, e.g. {@code "<s>"}), if it has one. */
    public OptionalInt tokenId(String token) {
        Integer id = tokenIds.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Ids of the added tokens marked special in {@code tokenizer.json}. Unmodifiable. */
    public Set<Integer> specialIds() {
        return specialIds;
    }

    /** A new decoder for printing one generated sequence incrementally. */
    public StreamingDecoder newStreamingDecoder() {
        checkOpen();
        return new StreamingDecoder(this, true);
    }

    /** A new streaming decoder that keeps special tokens in its text when {@code skipSpecial} is false. */
    public StreamingDecoder newStreamingDecoder(boolean skipSpecial) {
        checkOpen();
        return new StreamingDecoder(this, skipSpecial);
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
     * <p>Contract: the concatenation of everything {@link #next(int)} returned, followed by {@link #flush()},
     * equals {@code tokenizer.decode(allIdsFed, skipSpecial)} for the decoders of SentencePiece/BPE style
     * checkpoints (whose decoding of a sequence extends the decoding of its prefixes). While the text decoded so
     * far ends in an incomplete UTF-8 sequence (byte-fallback tokens, shown by the decoder as U+FFFD) the output is
     * held back and returned once the sequence is complete. To stay cheap on long generations, only a window
     * of ids since the last emitted piece is decoded, always starting at a token boundary that was already
     * emitted (so a decoder's leading-space strip applies alike to both decodings compared).
     *
     * <p>Not thread-safe; one instance per generated sequence.
     */
    public static final class StreamingDecoder {
        private final Tokenizer tokenizer;
        private final boolean skipSpecial;
        private int[] ids = new int[16];
        private int size;
        /** Start of the decode window: ids before it are fully emitted and no longer decoded. */
        private int prefixOffset;
        /** Ids before this have been emitted. */
        private int readOffset;

        StreamingDecoder(Tokenizer tokenizer, boolean skipSpecial) {
            this.tokenizer = tokenizer;
            this.skipSpecial = skipSpecial;
        }

        /**
         * Appends a token and returns the text it completes: possibly empty (e.g. the first bytes of a multi-byte
         * character, or a skipped special token), possibly several characters.
         *
         * @throws IllegalArgumentException if the id is out of the vocabulary
         */
        public String next(int tokenId) {
            if (tokenId < 0 || tokenId >= tokenizer.vocabSize) {
                throw new IllegalArgumentException("Token id " + tokenId + " is outside the vocabulary [0, "
                        + tokenizer.vocabSize + ")");
            }
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = tokenId;
            return emit(false);
        }

        /**
         * Returns whatever is still held back (for example an incomplete UTF-8 sequence at the end of the
         * generation, which then appears as U+FFFD) and marks it emitted.
         */
        public String flush() {
            return emit(true);
        }

        /** The ids fed so far. */
        public int[] ids() {
            return Arrays.copyOf(ids, size);
        }

        private String emit(boolean force) {
            if (readOffset == size) {
                return "";
            }
            String prefixText = tokenizer.decode(ids, prefixOffset, readOffset, skipSpecial);
            String newText = tokenizer.decode(ids, prefixOffset, size, skipSpecial);
            if (!force && (newText.length() <= prefixText.length() || newText.endsWith("\uFFFD"))) {
                return "";
            }
            String piece = newText.startsWith(prefixText) ? newText.substring(prefixText.length())
                    : newText.substring(Math.min(prefixText.length(), newText.length()));
            prefixOffset = readOffset;
            readOffset = size;
            return piece;
        }
    }

    // ---------------------------------------------------------------------------------------------- JSON helpers

    private static JsonObject readJsonObject(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new TokenizerException(file.toAbsolutePath() + " is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new TokenizerException(file.toAbsolutePath() + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static JsonObject readOptionalJsonObject(Path file) throws IOException {
        return Files.isRegularFile(file) ? readJsonObject(file) : null;
    }

    private static void readVocabulary(JsonObject root, Path file, Map<String, Integer> ids, Set<Integer> special)
            throws TokenizerException {
        try {
            JsonElement model = root.get("model");
            if (model != null && model.isJsonObject()) {
                JsonElement vocab = model.getAsJsonObject().get("vocab");
                if (vocab != null && vocab.isJsonObject()) { // BPE, WordPiece, WordLevel
                    for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                        ids.put(e.getKey(), e.getValue().getAsInt());
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
                    int id = t.get("id").getAsInt();
                    ids.put(t.get("content").getAsString(), id);
                    JsonElement sp = t.get("special");
                    if (sp != null && sp.isJsonPrimitive() && sp.getAsBoolean()) {
                        special.add(id);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new TokenizerException("Cannot read the vocabulary of " + file.toAbsolutePath() + ": " + e, e);
        }
        if (ids.isEmpty()) {
            throw new TokenizerException(file.toAbsolutePath() + " has an empty vocabulary");
        }
    }

    private static Boolean optBoolean(JsonObject o, String key) {
        if (o == null) {
            return null;
        }
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e.getAsBoolean();
    }

    private static Integer optInt(JsonObject o, String key) {
        if (o == null) {
            return null;
        }
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            return a.isEmpty() ? null : a.get(0).getAsInt();
        }
        return e.getAsInt();
    }

    private static List<Integer> optIntList(JsonObject o, String key) {
        List<Integer> out = new ArrayList<>();
        if (o == null) {
            return out;
        }
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return out;
        }
        if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) {
                out.add(x.getAsInt());
            }
        } else {
            out.add(e.getAsInt());
        }
        return out;
    }

    /** The id of a token given in tokenizer_config.json as a string or as an AddedToken object. */
    private static Integer tokenStringId(JsonObject o, String key, Map<String, Integer> ids) {
        if (o == null) {
            return null;
        }
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        String s;
        if (e.isJsonObject()) {
            JsonElement c = e.getAsJsonObject().get("content");
            if (c == null || c.isJsonNull()) {
                return null;
            }
            s = c.getAsString();
        } else {
            s = e.getAsString();
        }
        return ids.get(s);
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

    // --------------------------------------------------------------------------------------------- array helpers

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
