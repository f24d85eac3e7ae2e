package dev.ringmoe.checkpoint;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;

/**
 * Decodes block-wise FP8 weights (DeepSeek-V3's format): each byte an OCP FP8 E4M3 number
 * ("e4m3fn", {@code torch.float8_e4m3fn}: sign, 4 exponent bits with bias 7, 3 mantissa bits;
 * subnormals at exponent 0; {@code 0x7F}/{@code 0xFF} NaN; no infinities; largest 448), multiplied
 * by its block's F32 scale in one float32 multiply, {@code W[r, c] = e4m3(Q[r, c]) * S[r / Bm, c /
 * Bn]}, so the result is bit-identical to DeepSeek's {@code weight_dequant} in float32. Edge blocks
 * are partial and use their own scale. ND4J-free; stateless and thread-safe.
 */
public final class Fp8E4m3 {
  /** The value of every byte; NaN for the two NaN encodings. */
  private static final float[] VALUES = new float[256];

  static {
    for (int b = 0; b < 256; b++) {
      int sign = b >> 7;
      int exponent = (b >> 3) & 15;
      int mantissa = b & 7;
      float v;
      if (exponent == 15 && mantissa == 7) {
        v = Float.NaN;
      } else if (exponent == 0) {
        v = mantissa / 8f * 0x1p-6f;
      } else {
        v = (1 + mantissa / 8f) * (float) Math.scalb(1.0, exponent - 7);
      }
      VALUES[b] = sign == 1 ? -v : v;
    }
  }

  private Fp8E4m3() {}

  /** The value of one E4M3 byte (NaN for {@code 0x7F} and {@code 0xFF}). */
  public static float value(byte b) {
    return VALUES[b & 0xFF];
  }

  /**
   * Dequantizes a [rows, cols] row-major E4M3 matrix from {@code src} (at its position) into {@code
   * dst} (at its position, float32).
   *
   * @param scales [ceil(rows / blockRows), ceil(cols / blockCols)], row-major
   * @param file the checkpoint file, for messages
   * @param tensor the weight's name, for messages
   * @throws CheckpointFormatException naming the tensor if a byte is NaN or a scale is not a finite
   *     positive number
   */
  public static void dequantize(
      ByteBuffer src,
      int rows,
      int cols,
      float[] scales,
      int blockRows,
      int blockCols,
      FloatBuffer dst,
      Path file,
      String tensor)
      throws CheckpointFormatException {
    int blocksPerRow = (cols + blockCols - 1) / blockCols;
    if (scales.length != ((rows + blockRows - 1) / blockRows) * blocksPerRow) {
      throw new IllegalArgumentException(
          tensor + ": " + scales.length + " scales for a " + rows + " x " + cols + " matrix");
    }
    for (float s : scales) {
      if (!(s > 0) || Float.isInfinite(s)) {
        throw new CheckpointFormatException(
            file,
            tensor + "_scale_inv",
            "holds the block scale " + s + "; a block scale must be a finite positive number");
      }
    }
    int in = src.position();
    int out = dst.position();
    for (int r = 0; r < rows; r++) {
      int scaleRow = (r / blockRows) * blocksPerRow;
      int rowStart = r * cols;
      for (int c = 0; c < cols; c++) {
        float q = VALUES[src.get(in + rowStart + c) & 0xFF];
        if (q != q) {
          throw new CheckpointFormatException(
              file, tensor, "holds the FP8 E4M3 NaN encoding at row " + r + ", column " + c);
        }
        dst.put(out + rowStart + c, q * scales[scaleRow + c / blockCols]);
      }
    }
  }
}
