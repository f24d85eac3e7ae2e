package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file past 2 GiB, written sparse so that it costs (almost) no disk or time. */
class LargeFileTest {
  private static final long BIG = (1L << 31) + 16; // U8 elements = bytes

  @Test
  void mapsAndReadsATensorBeyondTwoGigabytes(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("big.safetensors");
    long smallBegin = BIG;
    long smallEnd = smallBegin + 32 * 4;
    String json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"big\":{\"dtype\":\"U8\",\"shape\":["
            + BIG
            + "],\"data_offsets\":[0,"
            + BIG
            + "]},"
            + "\"small\":{\"dtype\":\"F32\",\"shape\":[4,8],\"data_offsets\":["
            + smallBegin
            + ","
            + smallEnd
            + "]}}";
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    float[] values = new float[32];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.5f - 3.25f;
    }
    long dataStart = 8 + header.length;
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.SPARSE)) {
      ByteBuffer h = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
      h.putLong(header.length).put(header).flip();
      ch.write(h, 0);
      ByteBuffer d = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      d.asFloatBuffer().put(values);
      ch.write(
          d,
          dataStart + smallBegin); // skipping ahead leaves a hole instead of writing 2 GiB of zeros
    }

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      TensorInfo small = f.tensor("small");
      assertEquals(dataStart + smallBegin, small.fileOffset());
      assertTrue(small.fileOffset() > Integer.MAX_VALUE);
      ByteBuffer mapped = f.map(small);
      float[] fromMap = new float[32];
      mapped.asFloatBuffer().get(fromMap);
      assertArrayEquals(values, fromMap);

      FloatBuffer fb = FloatBuffer.allocate(32);
      f.readFloat32(small, fb);
      assertArrayEquals(values, fb.array());

      TensorInfo big = f.tensor("big");
      assertEquals(BIG, big.byteSize());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.map(big));
      assertTrue(
          e.getMessage().contains("readFloat32") && e.getMessage().contains("'big'"),
          e.getMessage());
      CheckpointFormatException e2 =
          assertThrows(
              CheckpointFormatException.class, () -> f.readFloat32(big, FloatBuffer.allocate(1)));
      assertTrue(e2.getMessage().contains("dtype U8 cannot be read as float32"), e2.getMessage());
      assertEquals("big", e2.tensorName());
    }
  }
}
