package dev.ringmoe.tokenizer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a working SentencePiece-style BPE tokenizer of a chosen vocabulary size, for random-weight
 * test models.
 *
 * <p>The files have the layout of a Llama/Mixtral checkpoint saved by {@code save_pretrained}:
 * {@code tokenizer.json} (BPE with byte fallback; normalizer Prepend "▁" then Replace " " → "▁"; a
 * TemplateProcessing post-processor that puts {@code <s>} in front; decoder Replace "▁" → " ",
 * ByteFallback, Fuse, Strip one leading space), {@code tokenizer_config.json} ({@code
 * add_bos_token} true, {@code add_eos_token} false, and Mistral-Instruct's published "v1" {@code
 * chat_template}, {@code <s> [INST] ... [/INST]} with an optional leading system message, so that
 * chat works on synthesized models) and {@code special_tokens_map.json}.
 *
 * <p>Vocabulary, exactly {@code vocabSize} ids: {@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, the
 * byte tokens {@code <0x00>}..{@code <0xFF>} = 3..258, then single characters ("▁", lower-case
 * letters, upper-case letters, digits, ASCII punctuation), then merged tokens, each with a merge
 * rule {@code "a b"} whose halves are already in the vocabulary: "▁▁", "▁"+lower-case letter,
 * common English bigrams, "▁"+bigram, "▁"+upper-case letter, then longer tokens formed by appending
 * lower-case letters to merged tokens in vocabulary order. Any text round-trips through the written
 * tokenizer ({@code decode(encode(s)) == s}): what the vocabulary lacks is encoded byte by byte.
 * (At the minimum size, 259, the vocabulary has no "▁" token; "▁" is then byte-encoded and the
 * decoder applies ByteFallback and Fuse before replacing "▁" by a space, so that the text still
 * round-trips.)
 *
 * <p>The output is deterministic: the same {@code vocabSize} always gives byte-identical files.
 * Stateless and thread-safe.
 */
public final class SyntheticTokenizer {

  /** Fewest ids a byte-fallback tokenizer can have: 3 special tokens and 256 byte tokens. */
  public static final int MIN_VOCAB_SIZE = 259;

  private static final String SPACE = "\u2581";
  private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
  private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  private static final String DIGITS = "0123456789";
  private static final String[] BIGRAMS = {
    "th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed",
        "is", "it",
    "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co", "me", "de",
        "hi", "ri",
    "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si", "om", "ur",
  };

  /**
   * The chat template of Mistral-7B-Instruct-v0.2 and later Mistral-Instruct repositories (the "v1"
   * format): Mixtral-Instruct's {@code <s> [INST] ... [/INST]} turns with an optional leading
   * system message merged into the first user turn.
   */
  private static final String CHAT_TEMPLATE =
      "{%- if messages[0]['role'] == 'system' %}\n"
          + "    {%- set system_message = messages[0]['content'] %}\n"
          + "    {%- set loop_messages = messages[1:] %}\n"
          + "{%- else %}\n"
          + "    {%- set loop_messages = messages %}\n"
          + "{%- endif %}\n"
          + "\n"
          + "{{- bos_token }}\n"
          + "{%- for message in loop_messages %}\n"
          + "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
          + "        {{- raise_exception('After the optional system message, conversation roles must"
          + " alternate user/assistant/user/assistant/...') }}\n"
          + "    {%- endif %}\n"
          + "    {%- if message['role'] == 'user' %}\n"
          + "        {%- if loop.first and system_message is defined %}\n"
          + "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n"
          + "        {%- else %}\n"
          + "            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
          + "        {%- endif %}\n"
          + "    {%- elif message['role'] == 'assistant' %}\n"
          + "        {{- ' ' + message['content'] + eos_token}}\n"
          + "    {%- else %}\n"
          + "        {{- raise_exception('Only user and assistant roles are supported, with the"
          + " exception of an initial optional system message!') }}\n"
          + "    {%- endif %}\n"
          + "{%- endfor %}\n";

  private SyntheticTokenizer() {}

  /**
   * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code
   * special_tokens_map.json} into {@code dir} (created if needed; existing files of those names are
   * replaced).
   *
   * @param dir target directory
   * @param vocabSize number of token ids, at least {@value #MIN_VOCAB_SIZE}
   * @throws IllegalArgumentException if {@code vocabSize < 259}
   * @throws IOException if writing fails
   */
  public static void write(Path dir, int vocabSize) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (vocabSize < MIN_VOCAB_SIZE) {
      throw new IllegalArgumentException(
          "vocabSize "
              + vocabSize
              + " is too small: a byte-fallback tokenizer "
              + "needs at least "
              + MIN_VOCAB_SIZE
              + " ids (<unk>, <s>, </s> and the 256 byte tokens "
              + "<0x00>..<0xFF>)");
    }
    Files.createDirectories(dir);
    Gson gson =
        new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();
    writeJson(gson, dir.resolve(Tokenizer.TOKENIZER_JSON), tokenizerJson(vocabSize));
    writeJson(gson, dir.resolve(Tokenizer.TOKENIZER_CONFIG_JSON), tokenizerConfig());
    writeJson(gson, dir.resolve("special_tokens_map.json"), specialTokensMap());
  }

  private static void writeJson(Gson gson, Path file, JsonObject json) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      gson.toJson(json, w);
      w.write('\n');
    }
  }

  /** Builds the vocabulary (token to id, in id order) and the merge rules. */
  static Map<String, Integer> buildVocab(int vocabSize, List<String> merges) {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put("<unk>", 0);
    vocab.put("<s>", 1);
    vocab.put("</s>", 2);
    for (int b = 0; b < 256; b++) {
      vocab.put(String.format(Locale.ROOT, "<0x%02X>", b), 3 + b);
    }
    // Single characters.
    List<String> singles = new ArrayList<>();
    singles.add(SPACE);
    addChars(singles, LOWER);
    addChars(singles, UPPER);
    addChars(singles, DIGITS);
    for (char c = 0x21; c < 0x7f; c++) {
      if (!Character.isLetterOrDigit(c)) {
        singles.add(String.valueOf(c));
      }
    }
    for (String s : singles) {
      if (vocab.size() == vocabSize) {
        return vocab;
      }
      vocab.put(s, vocab.size());
    }
    // Hand-picked merges.
    List<String[]> pairs = new ArrayList<>();
    pairs.add(new String[] {SPACE, SPACE});
    for (char c : LOWER.toCharArray()) {
      pairs.add(new String[] {SPACE, String.valueOf(c)});
    }
    for (String bg : BIGRAMS) {
      pairs.add(new String[] {bg.substring(0, 1), bg.substring(1)});
    }
    for (String bg : BIGRAMS) {
      pairs.add(new String[] {SPACE + bg.charAt(0), bg.substring(1)});
    }
    for (char c : UPPER.toCharArray()) {
      pairs.add(new String[] {SPACE, String.valueOf(c)});
    }
    for (String[] p : pairs) {
      if (vocab.size() == vocabSize) {
        return vocab;
      }
      addMerge(vocab, merges, p[0], p[1]);
    }
    // Then ever longer tokens: each merged token (in id order, including those made here) extended
    // by each
    // lower-case letter.
    List<String> order = new ArrayList<>(vocab.keySet());
    List<String> rights = singles.subList(1, 1 + LOWER.length());
    for (int i = 259 + singles.size(); vocab.size() < vocabSize; i++) {
      if (i >= order.size()) {
        throw new IllegalStateException("cannot grow the vocabulary to " + vocabSize);
      }
      String left = order.get(i);
      for (String right : rights) {
        if (vocab.size() == vocabSize) {
          break;
        }
        if (addMerge(vocab, merges, left, right)) {
          order.add(left + right);
        }
      }
    }
    return vocab;
  }

  private static void addChars(List<String> out, String chars) {
    for (char c : chars.toCharArray()) {
      out.add(String.valueOf(c));
    }
  }

  private static boolean addMerge(
      Map<String, Integer> vocab, List<String> merges, String a, String b) {
    String merged = a + b;
    if (!vocab.containsKey(a) || !vocab.containsKey(b) || vocab.containsKey(merged)) {
      return false;
    }
    vocab.put(merged, vocab.size());
    merges.add(a + " " + b);
    return true;
  }

  private static JsonObject tokenizerJson(int vocabSize) {
    List<String> merges = new ArrayList<>();
    Map<String, Integer> vocab = buildVocab(vocabSize, merges);
    if (vocab.size() != vocabSize) {
      throw new IllegalStateException("built " + vocab.size() + " tokens instead of " + vocabSize);
    }

    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", JsonNull.INSTANCE);
    root.add("padding", JsonNull.INSTANCE);
    JsonArray added = new JsonArray();
    String[] specials = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < specials.length; i++) {
      JsonObject t = new JsonObject();
      t.addProperty("id", i);
      t.addProperty("content", specials[i]);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    root.add("added_tokens", added);

    JsonObject prepend = new JsonObject();
    prepend.addProperty("type", "Prepend");
    prepend.addProperty("prepend", SPACE);
    JsonObject replaceSpace = new JsonObject();
    replaceSpace.addProperty("type", "Replace");
    replaceSpace.add("pattern", stringPattern(" "));
    replaceSpace.addProperty("content", SPACE);
    JsonObject normalizer = new JsonObject();
    normalizer.addProperty("type", "Sequence");
    normalizer.add("normalizers", array(prepend, replaceSpace));
    root.add("normalizer", normalizer);
    root.add("pre_tokenizer", JsonNull.INSTANCE);

    JsonObject post = new JsonObject();
    post.addProperty("type", "TemplateProcessing");
    post.add("single", array(specialPiece("<s>", 0), sequencePiece("A", 0)));
    post.add(
        "pair",
        array(
            specialPiece("<s>", 0),
            sequencePiece("A", 0),
            specialPiece("<s>", 1),
            sequencePiece("B", 1)));
    JsonObject bosSpec = new JsonObject();
    bosSpec.addProperty("id", "<s>");
    JsonArray bosIds = new JsonArray();
    bosIds.add(1);
    bosSpec.add("ids", bosIds);
    JsonArray bosTokens = new JsonArray();
    bosTokens.add("<s>");
    bosSpec.add("tokens", bosTokens);
    JsonObject specialTokens = new JsonObject();
    specialTokens.add("<s>", bosSpec);
    post.add("special_tokens", specialTokens);
    root.add("post_processor", post);

    JsonObject replaceBack = new JsonObject();
    replaceBack.addProperty("type", "Replace");
    replaceBack.add("pattern", stringPattern(SPACE));
    replaceBack.addProperty("content", " ");
    JsonObject byteFallback = new JsonObject();
    byteFallback.addProperty("type", "ByteFallback");
    JsonObject fuse = new JsonObject();
    fuse.addProperty("type", "Fuse");
    JsonObject strip = new JsonObject();
    strip.addProperty("type", "Strip");
    strip.addProperty("content", " ");
    strip.addProperty("start", 1);
    strip.addProperty("stop", 0);
    JsonObject decoder = new JsonObject();
    decoder.addProperty("type", "Sequence");
    // With 259 ids there is no room for a "▁" token, so "▁" itself is byte-encoded: the bytes must
    // be turned into
    // text before "▁" is replaced by a space. From 260 ids on, "▁" is a token (never byte-encoded)
    // and the
    // order of the Llama/Mixtral decoder gives identical text.
    decoder.add(
        "decoders",
        vocabSize > MIN_VOCAB_SIZE
            ? array(replaceBack, byteFallback, fuse, strip)
            : array(byteFallback, fuse, replaceBack, strip));
    root.add("decoder", decoder);

    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", JsonNull.INSTANCE);
    model.addProperty("unk_token", "<unk>");
    model.add("continuing_subword_prefix", JsonNull.INSTANCE);
    model.add("end_of_word_suffix", JsonNull.INSTANCE);
    model.addProperty("fuse_unk", true);
    model.addProperty("byte_fallback", true);
    model.addProperty("ignore_merges", false);
    JsonObject vocabJson = new JsonObject();
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      vocabJson.addProperty(e.getKey(), e.getValue());
    }
    model.add("vocab", vocabJson);
    JsonArray mergesJson = new JsonArray();
    merges.forEach(mergesJson::add);
    model.add("merges", mergesJson);
    root.add("model", model);
    return root;
  }

  private static JsonObject tokenizerConfig() {
    JsonObject c = new JsonObject();
    c.addProperty("add_bos_token", true);
    c.addProperty("add_eos_token", false);
    c.addProperty("bos_token", "<s>");
    c.addProperty("eos_token", "</s>");
    c.addProperty("unk_token", "<unk>");
    c.add("pad_token", JsonNull.INSTANCE);
    c.addProperty("clean_up_tokenization_spaces", false);
    c.addProperty("legacy", true);
    c.addProperty("model_max_length", 2048);
    c.addProperty("tokenizer_class", "LlamaTokenizer");
    c.add("sp_model_kwargs", new JsonObject());
    c.addProperty("chat_template", CHAT_TEMPLATE);
    return c;
  }

  private static JsonObject specialTokensMap() {
    JsonObject m = new JsonObject();
    m.addProperty("bos_token", "<s>");
    m.addProperty("eos_token", "</s>");
    m.addProperty("unk_token", "<unk>");
    return m;
  }

  private static JsonObject stringPattern(String s) {
    JsonObject p = new JsonObject();
    p.addProperty("String", s);
    return p;
  }

  private static JsonObject specialPiece(String id, int typeId) {
    JsonObject inner = new JsonObject();
    inner.addProperty("id", id);
    inner.addProperty("type_id", typeId);
    JsonObject o = new JsonObject();
    o.add("SpecialToken", inner);
    return o;
  }

  private static JsonObject sequencePiece(String id, int typeId) {
    JsonObject inner = new JsonObject();
    inner.addProperty("id", id);
    inner.addProperty("type_id", typeId);
    JsonObject o = new JsonObject();
    o.add("Sequence", inner);
    return o;
  }

  private static JsonArray array(JsonObject... items) {
    JsonArray a = new JsonArray();
    for (JsonObject o : items) {
      a.add(o);
    }
    return a;
  }
}
