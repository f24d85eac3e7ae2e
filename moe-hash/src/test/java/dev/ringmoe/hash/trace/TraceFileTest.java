package dev.ringmoe.hash.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer/reader round trips and refusal of damaged files, on synthetic data. */
class TraceFileTest {
  private static final TraceHeader HEADER = new TraceHeader(8, 3, 5, 2, "synthetic model ✓", true);

  @TempDir Path tmp;

  private static List<TraceSequence> sequences(TraceHeader h, int n, long seed) {
    Random r = new Random(seed);
    List<TraceSequence> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      int t = 1 + r.nextInt(9);
      int[] ids = r.ints(t, 0, 4096).toArray();
      float[] emb = floats(r, t * h.hidden());
      float[] logits = floats(r, t * h.layers() * h.experts());
      float[] hidden = h.hiddenStates() ? floats(r, t * h.layers() * h.hidden()) : null;
      out.add(new TraceSequence(ids, emb, logits, hidden, h.hidden(), h.layers(), h.experts()));
    }
    return out;
  }

  private static float[] floats(Random r, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) r.nextGaussian();
    }
    return f;
  }

  private Path write(TraceHeader h, List<TraceSequence> seqs) throws IOException {
    Path file = tmp.resolve("t" + h.hiddenStates() + seqs.size() + ".trace");
    try (RoutingTraceWriter w = RoutingTraceWriter.create(file, h)) {
      for (TraceSequence s : seqs) {
        w.write(s);
      }
      assertEquals(seqs.size(), w.count());
    }
    return file;
  }

  private static void assertSame(TraceSequence a, TraceSequence b) {
    assertArrayEquals(a.tokenIds(), b.tokenIds());
    assertArrayEquals(a.embeddings(), b.embeddings());
    assertArrayEquals(a.routerLogits(), b.routerLogits());
    assertArrayEquals(a.hiddenBeforeMoe(), b.hiddenBeforeMoe());
  }

  @Test
  void roundTripIterationAndRandomAccess() throws IOException {
    for (boolean hidden : new boolean[] {true, false}) {
      TraceHeader h = new TraceHeader(8, 3, 5, 2, HEADER.fingerprint(), hidden);
      List<TraceSequence> seqs = sequences(h, 7, hidden ? 1 : 2);
      Path file = write(h, seqs);
      long expectedBytes =
          36
              + h.fingerprint().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
              + seqs.stream().mapToLong(s -> h.recordBytes(s.tokens())).sum()
              + 12
              + 8 * 7
              + 16;
      assertEquals(expectedBytes, Files.size(file));
      try (RoutingTraceReader r = RoutingTraceReader.open(file)) {
        assertEquals(h, r.header());
        assertEquals(7, r.size());
        int i = 0;
        for (TraceSequence s : r) {
          assertSame(seqs.get(i++), s);
        }
        assertEquals(7, i);
        for (int j : new int[] {6, 0, 3, 3, 5}) {
          assertSame(seqs.get(j), r.read(j));
          assertEquals(seqs.get(j).tokens(), r.tokens(j));
        }
        if (!hidden) {
          assertNull(r.read(2).hiddenBeforeMoe());
          assertFalse(r.read(2).hasHiddenStates());
        }
        assertThrows(IndexOutOfBoundsException.class, () -> r.read(7));
      }
    }
  }

  @Test
  void emptyTraceIsValid() throws IOException {
    Path file = write(HEADER, List.of());
    try (RoutingTraceReader r = RoutingTraceReader.open(file)) {
      assertEquals(0, r.size());
      assertFalse(r.iterator().hasNext());
    }
  }

  @Test
  void writerRefusesMismatchedShapes() throws IOException {
    try (RoutingTraceWriter w = RoutingTraceWriter.create(tmp.resolve("x.trace"), HEADER)) {
      TraceSequence noHidden = sequences(new TraceHeader(8, 3, 5, 2, "", false), 1, 3).get(0);
      assertThrows(IllegalArgumentException.class, () -> w.write(noHidden));
      TraceSequence wrong = sequences(new TraceHeader(8, 3, 6, 2, "", true), 1, 3).get(0);
      assertThrows(IllegalArgumentException.class, () -> w.write(wrong));
    }
  }

  private String refusal(Path file) {
    TraceFormatException e =
        assertThrows(TraceFormatException.class, () -> RoutingTraceReader.open(file).close());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    return e.getMessage();
  }

  @Test
  void refusesTruncatedFiles() throws IOException {
    Path file = write(HEADER, sequences(HEADER, 4, 5));
    byte[] bytes = Files.readAllBytes(file);
    // cut anywhere: inside the header, inside a record, inside the index, one byte of the trailer
    for (int keep : new int[] {0, 10, 40, bytes.length / 2, bytes.length - 40, bytes.length - 1}) {
      Path cut = tmp.resolve("cut" + keep + ".trace");
      Files.write(cut, Arrays.copyOf(bytes, keep));
      String msg = refusal(cut);
      assertTrue(msg.contains("truncated"), msg);
    }
  }

  @Test
  void refusesAnUnclosedWriter() throws IOException {
    Path file = tmp.resolve("open.trace");
    RoutingTraceWriter w = RoutingTraceWriter.create(file, HEADER);
    for (TraceSequence s : sequences(HEADER, 3, 6)) {
      w.write(s);
    }
    // simulate a crash: copy what reached the disk before close()
    Path copy = tmp.resolve("crashed.trace");
    w.close();
    byte[] all = Files.readAllBytes(file);
    Files.write(copy, Arrays.copyOf(all, all.length - 16 - 12 - 3 * 8));
    assertTrue(refusal(copy).contains("not closed"));
  }

  @Test
  void refusesBadMagicVersionAndIndex() throws IOException {
    Path file = write(HEADER, sequences(HEADER, 3, 7));
    byte[] good = Files.readAllBytes(file);

    byte[] magic = good.clone();
    magic[0] = 'X';
    Path badMagic = tmp.resolve("magic.trace");
    Files.write(badMagic, magic);
    assertTrue(refusal(badMagic).contains("bad magic"));

    byte[] version = good.clone();
    ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 99);
    Path badVersion = tmp.resolve("version.trace");
    Files.write(badVersion, version);
    assertTrue(refusal(badVersion).contains("version 99"));

    byte[] index = good.clone();
    ByteBuffer b = ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN);
    long indexOffset = b.getLong(index.length - 16);
    b.putLong((int) indexOffset + 12 + 8, 12345); // second record's offset
    Path badIndex = tmp.resolve("index.trace");
    Files.write(badIndex, index);
    assertTrue(refusal(badIndex).contains("sequence 1"));

    byte[] tag = good.clone();
    int firstRecord =
        36 + HEADER.fingerprint().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    tag[firstRecord] = 'Z';
    Path badTag = tmp.resolve("tag.trace");
    Files.write(badTag, tag);
    assertTrue(refusal(badTag).contains("record tag"));
  }

  @Test
  void tokenWindowsPutBosInFront() throws IOException {
    Path u16 = tmp.resolve("ids.u16");
    ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 10; i++) {
      b.putShort((short) (i == 9 ? 65535 : 100 + i));
    }
    Files.write(u16, b.array());
    int[] ids = TokenWindows.readU16(u16);
    assertEquals(65535, ids[9]);
    List<int[]> w = TokenWindows.fromFile(u16, 4, 3, 0, 1);
    assertEquals(3, w.size()); // starts 0, 3, 6 (9 would run past the end)
    assertArrayEquals(new int[] {1, 103, 104, 105, 106}, w.get(1));
    assertArrayEquals(new int[] {1, 106, 107, 108, 65535}, w.get(2));
    assertEquals(2, TokenWindows.fromFile(u16, 4, 3, 2, 1).size());
  }
}
