package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The E4M3 bit fields and the block scaling, partial edge blocks included. */
class Fp8E4m3Test {
  @Test
  void decodesEveryKindOfByte() {
    assertEquals(0f, Fp8E4m3.value((byte) 0x00));
    assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(Fp8E4m3.value((byte) 0x80)));
    assertEquals(1f, Fp8E4m3.value((byte) 0x38)); // E = 7, m = 0
    assertEquals(-1.5f, Fp8E4m3.value((byte) 0xBC)); // s = 1, E = 7, m = 4
    assertEquals(448f, Fp8E4m3.value((byte) 0x7E)); // the largest: E = 15, m = 6
    assertEquals(0x1p-9f, Fp8E4m3.value((byte) 0x01)); // smallest subnormal: 1/8 * 2^-6
    assertEquals(7 * 0x1p-9f, Fp8E4m3.value((byte) 0x07)); // largest subnormal
    assertEquals(0x1p-6f, Fp8E4m3.value((byte) 0x08)); // smallest normal
    assertTrue(Float.isNaN(Fp8E4m3.value((byte) 0x7F)));
    assertTrue(Float.isNaN(Fp8E4m3.value((byte) 0xFF)));
  }

  @Test
  void eachBlockUsesItsOwnScaleAndEdgeBlocksArePartial() throws CheckpointFormatException {
    // a 3 x 5 matrix of ones in blocks of 2 x 2: scales [2, 3], the last row and column partial
    byte[] q = new byte[15];
    java.util.Arrays.fill(q, (byte) 0x38);
    float[] scales = {1, 2, 3, 4, 5, 6};
    float[] out = new float[15];
    Fp8E4m3.dequantize(
        ByteBuffer.wrap(q), 3, 5, scales, 2, 2, FloatBuffer.wrap(out), Path.of("f"), "w");
    assertArrayEquals(new float[] {1, 1, 2, 2, 3, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6}, out, 0f);
  }

  @Test
  void nanBytesAndBadScalesAreRefusedNamingTheTensor() {
    byte[] q = {0x38, 0x7F};
    CheckpointFormatException nan =
        assertThrows(
            CheckpointFormatException.class,
            () ->
                Fp8E4m3.dequantize(
                    ByteBuffer.wrap(q),
                    1,
                    2,
                    new float[] {1},
                    128,
                    128,
                    FloatBuffer.allocate(2),
                    Path.of("f"),
                    "w"));
    assertTrue(nan.getMessage().contains("row 0, column 1"), nan.getMessage());
    assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
    CheckpointFormatException zero =
        assertThrows(
            CheckpointFormatException.class,
            () ->
                Fp8E4m3.dequantize(
                    ByteBuffer.wrap(new byte[] {0x38, 0x38}),
                    1,
                    2,
                    new float[] {0},
                    128,
                    128,
                    FloatBuffer.allocate(2),
                    Path.of("f"),
                    "w"));
    assertTrue(zero.getMessage().contains("w_scale_inv"), zero.getMessage());
  }
}
