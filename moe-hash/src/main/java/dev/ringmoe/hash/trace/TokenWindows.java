package dev.ringmoe.hash.trace;

import com.google.common.base.Preconditions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Token windows for tracing: reads {@code .u16} token files (uint16 little-endian ids, documents
 * concatenated) and cuts them into sequences of {@code length} consecutive ids with BOS in front
 * ({@code length + 1} ids each).
 */
public final class TokenWindows {
  private TokenWindows() {}

  /** Reads a {@code .u16} file: uint16 little-endian token ids. */
  public static int[] readU16(Path file) throws IOException {
    long size = Files.size(file);
    if (size % 2 != 0) {
      throw new IOException(file + ": odd length " + size + ", not a uint16 token file");
    }
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int[] ids = new int[(int) (size / 2)];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = b.getShort() & 0xffff;
    }
    return ids;
  }

  /**
   * Windows of {@code tokens}: window w holds BOS then {@code tokens[w*stride .. w*stride+length)};
   * at most {@code maxWindows} (or every whole window when {@code maxWindows <= 0}).
   *
   * @param length ids taken from {@code tokens} per window (127 for 128-token sequences)
   * @param stride start-to-start distance between windows (= length for disjoint windows)
   * @param bos the BOS id put in front of each window (1 for Llama/Mixtral tokenizers)
   */
  public static List<int[]> windows(int[] tokens, int length, int stride, int maxWindows, int bos) {
    Preconditions.checkArgument(
        length > 0 && stride > 0, "length %s and stride %s must be positive", length, stride);
    List<int[]> out = new ArrayList<>();
    for (long start = 0; start + length <= tokens.length; start += stride) {
      if (maxWindows > 0 && out.size() >= maxWindows) {
        break;
      }
      int[] w = new int[length + 1];
      w[0] = bos;
      System.arraycopy(tokens, (int) start, w, 1, length);
      out.add(w);
    }
    return out;
  }

  /** {@link #windows} of a {@code .u16} file. */
  public static List<int[]> fromFile(Path file, int length, int stride, int maxWindows, int bos)
      throws IOException {
    return windows(readU16(file), length, stride, maxWindows, bos);
  }
}
