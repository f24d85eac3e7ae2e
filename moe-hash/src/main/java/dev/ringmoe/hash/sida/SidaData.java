package dev.ringmoe.hash.sida;

import dev.ringmoe.MoeModel;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.tensor.Tensors;
import dev.ringmoe.config.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training data for the hash network: token windows, the model's embedding table, the teacher's router logits, and
 * a fingerprint naming the model a network was trained for.
 */
public final class SidaData {

  private static final Logger LOG = LoggerFactory.getLogger(SidaData.class);

  private SidaData() {}

  /** One sequence: its token ids and the teacher's router logits [tokens][layers][experts], flattened. */
  public record Sequence(int[] ids, float[] teacherLogits, int layers, int experts) {
    public int length() {
      return ids.length;
    }

    public float[] logits(int token, int layer) {
      int off = (token * layers + layer) * experts;
      return java.util.Arrays.copyOfRange(teacherLogits, off, off + experts);
    }
  }

  /**
   * "ARCH:hidden=..,layers=..,experts=..,top_k=..,vocab=..:sha256(config.json)". Two checkpoints with the same
   * config.json get the same fingerprint (the caller may append a weights hash when that matters).
   */
  public static String fingerprint(MoeModel model) throws IOException {
    // One definition for traces and hash networks, so a network trained on a trace loads against its model.
    return dev.ringmoe.hash.trace.TraceRecorder.fingerprint(model);
  }


  /** The model's token embedding table, float32 [vocab * hidden]. */
  public static float[] embeddingTable(MoeModel model) throws IOException {
    return embeddingTable(model.directory(), model.config());
  }

  /**
   * The embedding table of the checkpoint in {@code dir}, float32 [vocab * hidden], read straight from its file
   * (no forward passes, no model).
   */
  public static float[] embeddingTable(Path dir, ModelConfig config) throws IOException {
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return Tensors.loadJava(checkpoint, config.architecture().weightNames().embedding(), config.vocabSize(),
          config.hiddenSize());
    }
  }

  /** Reads a uint16 little-endian token file. */
  public static int[] readU16(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int[] out = new int[b.length / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getShort() & 0xFFFF;
    }
    return out;
  }

  /** {@code count} windows of {@code len-1} tokens with BOS in front, at random offsets (seeded). */
  public static int[][] randomWindows(int[] tokens, int count, int len, int bos, long seed) {
    Random r = new Random(seed);
    int[][] out = new int[count][];
    for (int i = 0; i < count; i++) {
      int off = r.nextInt(tokens.length - (len - 1));
      out[i] = window(tokens, off, len, bos);
    }
    return out;
  }

  /** Non-overlapping consecutive windows of {@code len-1} tokens with BOS in front, at most {@code max}. */
  public static int[][] consecutiveWindows(int[] tokens, int max, int len, int bos) {
    List<int[]> out = new ArrayList<>();
    for (int off = 0; off + len - 1 <= tokens.length && out.size() < max; off += len - 1) {
      out.add(window(tokens, off, len, bos));
    }
    return out.toArray(new int[0][]);
  }

  private static int[] window(int[] tokens, int off, int len, int bos) {
    int[] w = new int[len];
    w[0] = bos;
    System.arraycopy(tokens, off, w, 1, len - 1);
    return w;
  }

  /** Writes sequences (all of one shape) to a cache file: int count, len, layers, experts, then ids and logits. */
  public static void writeSequences(Path file, List<Sequence> seqs) throws IOException {
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(
        new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
      out.writeInt(seqs.size());
      out.writeInt(seqs.isEmpty() ? 0 : seqs.get(0).length());
      out.writeInt(seqs.isEmpty() ? 0 : seqs.get(0).layers());
      out.writeInt(seqs.isEmpty() ? 0 : seqs.get(0).experts());
      for (Sequence s : seqs) {
        for (int id : s.ids()) {
          out.writeInt(id);
        }
        for (float f : s.teacherLogits()) {
          out.writeFloat(f);
        }
      }
    }
  }

  /** Reads a file written by {@link #writeSequences}. */
  public static List<Sequence> readSequences(Path file) throws IOException {
    try (java.io.DataInputStream in = new java.io.DataInputStream(
        new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
      int n = in.readInt();
      int len = in.readInt();
      int layers = in.readInt();
      int experts = in.readInt();
      List<Sequence> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int[] ids = new int[len];
        for (int t = 0; t < len; t++) {
          ids[t] = in.readInt();
        }
        float[] lg = new float[len * layers * experts];
        for (int j = 0; j < lg.length; j++) {
          lg[j] = in.readFloat();
        }
        out.add(new Sequence(ids, lg, layers, experts));
      }
      return out;
    }
  }

  /** {@link #collect}, cached in {@code cache} when it is not null (read back if it exists). */
  public static List<Sequence> collectCached(MoeModel model, int[][] windows, Path cache) throws IOException {
    if (cache != null && Files.exists(cache)) {
      return readSequences(cache);
    }
    List<Sequence> seqs = collect(model, windows);
    if (cache != null) {
      Files.createDirectories(cache.toAbsolutePath().getParent());
      writeSequences(cache, seqs);
    }
    return seqs;
  }

  /** Runs the model over every window and records the teacher's router logits. */
  public static List<Sequence> collect(MoeModel model, int[][] windows) {
    ModelConfig c = model.config();
    int layers = c.layers();
    int experts = c.experts();
    List<Sequence> out = new ArrayList<>(windows.length);
    long t0 = System.nanoTime();
    for (int w = 0; w < windows.length; w++) {
      int[] ids = windows[w];
      float[] logits = new float[ids.length * layers * experts];
      model.logits(ids, (layer, tokens, lg) -> {
        for (int t = 0; t < tokens; t++) {
          System.arraycopy(lg, t * experts, logits, (t * layers + layer) * experts, experts);
        }
      });
      out.add(new Sequence(ids.clone(), logits, layers, experts));
      if ((w + 1) % 50 == 0) {
        LOG.info("teacher logits for {}/{} windows ({} s)", w + 1, windows.length, (System.nanoTime() - t0) / 1e9);
      }
    }
    return out;
  }
}
