package dev.ringmoe.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tokenizers of the reference checkpoints against ids Hugging Face produced. */
class TokenizerReferenceTest {

  private static Path mixtralDir;
  private static Tokenizer mixtral;
  private static String prompt;
  private static int[] promptIds;

  @BeforeAll
  static void setUp() throws IOException {
    Path ref = ReferenceData.root().resolve("mixtral-tiny");
    mixtralDir = ref.resolve("f32");
    mixtral = Tokenizer.load(mixtralDir);
    JsonObject json =
        JsonParser.parseString(Files.readString(ref.resolve("reference.json"))).getAsJsonObject();
    prompt = json.get("prompt").getAsString();
    promptIds = ints(json.getAsJsonArray("input_ids"));
  }

  @AfterAll
  static void tearDown() {
    if (mixtral != null) {
      mixtral.close();
    }
  }

  static int[] ints(JsonArray a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsInt();
    }
    return out;
  }

  @Test
  void mixtralPromptEncodesToReferenceIds() {
    assertEquals(1, promptIds[0], "reference ids start with BOS");
    assertArrayEquals(promptIds, mixtral.encode(prompt));
    assertArrayEquals(promptIds, mixtral.encode(prompt, true));
    assertArrayEquals(
        Arrays.copyOfRange(promptIds, 1, promptIds.length), mixtral.encode(prompt, false));
  }

  @Test
  void mixtralDecodeRoundTrip() {
    assertEquals(prompt, mixtral.decode(promptIds));
    assertEquals(prompt, mixtral.decode(promptIds, true));
    assertEquals("<s>" + prompt, mixtral.decode(promptIds, false).replace("<s> ", "<s>"));
    String text = "Grüße, 世界! tabs\tand\nnewlines  double  spaces";
    assertEquals(text, mixtral.decode(mixtral.encode(text)));
  }

  @Test
  void mixtralSpecialIds() {
    assertEquals(OptionalInt.of(1), mixtral.bosId());
    assertEquals(Set.of(2), mixtral.eosIds());
    assertTrue(mixtral.isEos(2));
    assertFalse(mixtral.isEos(1));
    assertEquals(1000, mixtral.vocabSize());
    assertEquals(OptionalInt.of(1), mixtral.tokenId("<s>"));
    assertEquals(Set.of(0, 1, 2), mixtral.specialIds());
  }

  @Test
  void neverADoubleBos() {
    int[] ids = mixtral.encode("<s>Hello");
    assertEquals(1, ids[0]);
    assertTrue(ids.length > 1 && ids[1] != 1, Arrays.toString(ids));
  }

  @Test
  void outOfRangeIdsRejected() {
    assertThrows(IllegalArgumentException.class, () -> mixtral.decode(new int[] {5, 1000}));
    assertThrows(IllegalArgumentException.class, () -> mixtral.decode(new int[] {-1}));
  }

  @Test
  void concurrentEncodeGivesSameIds() throws Exception {
    Thread[] threads = new Thread[4];
    Throwable[] failures = new Throwable[threads.length];
    for (int t = 0; t < threads.length; t++) {
      final int tt = t;
      threads[t] =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 200; i++) {
                    assertArrayEquals(promptIds, mixtral.encode(prompt));
                  }
                } catch (Throwable e) {
                  failures[tt] = e;
                }
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    for (Throwable f : failures) {
      if (f != null) {
        throw new AssertionError(f);
      }
    }
  }

  @Test
  void streamingDecoderConcatenatesToFullDecode() {
    int[] ids = promptIds;
    Tokenizer.StreamingDecoder sd = mixtral.newStreamingDecoder();
    StringBuilder sb = new StringBuilder();
    int nonEmpty = 0;
    for (int id : ids) {
      String piece = sd.next(id);
      if (!piece.isEmpty()) {
        nonEmpty++;
      }
      sb.append(piece);
    }
    sb.append(sd.flush());
    assertEquals(mixtral.decode(ids), sb.toString());
    assertTrue(
        nonEmpty > ids.length / 2, "pieces are emitted as tokens arrive, not all at the end");
  }

  @Test
  void streamingDecoderHoldsBackPartialUtf8() {
    // Byte-fallback tokens: "ü" is <0xC3><0xBC>, "世" three bytes; pieces must never contain U+FFFD.
    String text = "Grüße, 世界! 😀 ok";
    int[] ids = mixtral.encode(text);
    Tokenizer.StreamingDecoder sd = mixtral.newStreamingDecoder();
    StringBuilder sb = new StringBuilder();
    boolean heldBack = false;
    for (int id : ids) {
      String piece = sd.next(id);
      assertFalse(piece.contains("\uFFFD"), "piece " + piece);
      heldBack |= piece.isEmpty() && id >= 3 && id <= 258;
      sb.append(piece);
    }
    sb.append(sd.flush());
    assertTrue(heldBack, "the text has multi-byte characters encoded by byte fallback");
    assertEquals(text, sb.toString());
    assertEquals(mixtral.decode(ids), sb.toString());
  }

  @Test
  void streamingDecoderFlushesIncompleteBytes() {
    Tokenizer.StreamingDecoder sd = mixtral.newStreamingDecoder();
    int hello = mixtral.encode("Hi", false)[0];
    StringBuilder sb = new StringBuilder(sd.next(hello));
    assertEquals("", sd.next(3 + 0xE4)); // first byte of a three-byte character
    sb.append(sd.flush());
    assertTrue(sb.toString().startsWith("H"));
    assertTrue(sb.toString().endsWith("\uFFFD"));
  }

  @Test
  void moeText16xHeldOutIdsRoundTrip() throws IOException {
    Path dir = ReferenceData.root().resolve("moe-text-16x");
    byte[] raw = Files.readAllBytes(dir.resolve("data/heldout.u16"));
    ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int[] all = new int[raw.length / 2];
    for (int i = 0; i < all.length; i++) {
      all[i] = Short.toUnsignedInt(bb.getShort());
    }
    JsonArray docs =
        JsonParser.parseString(Files.readString(dir.resolve("data/heldout_docs.json")))
            .getAsJsonArray();
    String heldout = Files.readString(dir.resolve("data/heldout.txt"), StandardCharsets.UTF_8);
    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertEquals(4096, tok.vocabSize());
      assertEquals(OptionalInt.of(1), tok.bosId());
      assertEquals(Set.of(2), tok.eosIds());

      // 1. The first 127 ids (an evaluation window): decode, re-encode without special tokens.
      int[] window = Arrays.copyOfRange(all, 0, 127);
      String text = tok.decode(window);
      assertTrue(heldout.startsWith(text), "decoded window is the start of heldout.txt");
      assertArrayEquals(window, tok.encode(text, false));
      int[] withBos = tok.encode(text);
      assertEquals(1, withBos[0]);
      assertArrayEquals(window, Arrays.copyOfRange(withBos, 1, withBos.length));

      // 2. Whole documents: each document's ids are its text encoded without BOS, followed by EOS
      // (id 2);
      //    the text of each held-out document (found in heldout.txt) encodes to exactly those ids.
      int docStart = 0;
      for (int d = 0; d < docs.size(); d++) {
        JsonArray doc = docs.get(d).getAsJsonArray();
        int first = doc.get(1).getAsInt();
        int last = doc.get(2).getAsInt();
        int[] docIds = Arrays.copyOfRange(all, first, last + 1);
        String docText = tok.decode(docIds);
        int at = heldout.indexOf(docText, docStart);
        assertTrue(at >= 0, "document " + doc.get(0).getAsString() + " text is in heldout.txt");
        docStart = at + docText.length();
        assertEquals(2, docIds[docIds.length - 1], "documents end with EOS");
        assertArrayEquals(
            Arrays.copyOf(docIds, docIds.length - 1),
            tok.encode(docText, false),
            "document " + doc.get(0).getAsString());
      }
    }
  }

  @Test
  void missingTokenizerJsonNamesTheFile(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    Files.copy(mixtralDir.resolve("tokenizer_config.json"), tmp.resolve("tokenizer_config.json"));
    TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(tmp));
    assertTrue(
        e.getMessage().contains(tmp.resolve("tokenizer.json").toAbsolutePath().toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains("a tokenizer.json is required"), e.getMessage());
  }

  @Test
  void closedTokenizerRejectsCalls() throws IOException {
    Tokenizer t = Tokenizer.load(mixtralDir);
    t.close();
    t.close();
    assertThrows(IllegalStateException.class, () -> t.encode("x"));
  }
}
