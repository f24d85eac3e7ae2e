package dev.ringmoe.checkpoint;

/**
 * Decoding of MXFP4 (the OCP microscaling format with E2M1 elements and E8M0 scales), as the
 * released gpt-oss checkpoints and OpenAI's and Hugging Face's decoders read it: a {@code *_blocks}
 * tensor U8 {@code [..., G, 16]} holds 32 values per block, two per byte, the even element in the
 * low nibble and the odd one in the high nibble; a {@code *_scales} tensor U8 {@code [..., G]}
 * holds one biased exponent per block, value {@code 2^(s - 127)}. A value is {@code FP4[code] *
 * 2^(s - 127)} with E2M1's sixteen codes (bit 3 sign, bits 2-1 exponent with bias 1, bit 0
 * mantissa), code 8 being -0. Like those decoders, a scale of 0xFF (NaN in the OCP spec) is not
 * treated specially: it scales by 2^128 (infinite for a non-zero value), which the decoder's
 * finiteness checks then report. Every decoded value is exact in float32 and in bfloat16.
 *
 * <p>Stateless and thread-safe.
 */
public final class Mxfp4 {
  /** Values per block (per scale). */
  public static final int BLOCK = 32;

  /** Bytes per block. */
  public static final int BLOCK_BYTES = BLOCK / 2;

  private static final float[] FP4 = {
    +0f, +0.5f, +1f, +1.5f, +2f, +3f, +4f, +6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f
  };

  private Mxfp4() {}

  /**
   * Element {@code k} of a row of blocks: {@code blocks[blocksOffset + (k / 32) * 16 + (k % 32) /
   * 2]} with its scale {@code scales[scalesOffset + k / 32]}.
   */
  public static float value(
      byte[] blocks, int blocksOffset, byte[] scales, int scalesOffset, long k) {
    int block = (int) (k / BLOCK);
    int within = (int) (k % BLOCK);
    int b = blocks[blocksOffset + block * BLOCK_BYTES + within / 2] & 0xFF;
    int code = (within & 1) == 0 ? b & 0x0F : b >>> 4;
    int scale = scales[scalesOffset + block] & 0xFF;
    return Math.scalb(FP4[code], scale - 127);
  }
}
