package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.ReferenceData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Reads the shared reference checkpoints; expected values were taken from their headers with a
 * Python script.
 */
class ReferenceCheckpointTest {

  private static float[] read(Checkpoint c, TensorInfo t) throws IOException {
    FloatBuffer fb = FloatBuffer.allocate((int) t.elementCount());
    c.readFloat32(t, fb);
    assertEquals(t.elementCount(), fb.position(), "position advanced by the element count");
    return fb.array();
  }

  @Test
  void mixtralF32ShardedCheckpoint() throws IOException {
    try (Checkpoint c = Checkpoint.open(ReferenceData.mixtralF32())) {
      assertEquals(127, c.tensorNames().size());
      assertEquals(55567360L, c.totalBytes(), "total_size of the index");

      TensorInfo k = c.tensor("model.layers.0.self_attn.k_proj.weight");
      assertEquals(DType.F32, k.dtype());
      assertArrayEquals(new long[] {128, 256}, k.shape());
      assertEquals(128 * 256, k.elementCount());
      assertEquals(131072, k.byteSize());
      assertEquals("model-00001-of-00003.safetensors", k.file().getFileName().toString());
      assertEquals(8 + 5472 + 13617152L, k.fileOffset());
      float[] kv = read(c, k);
      assertEquals(0.06870948523283005f, kv[0]);
      assertEquals(-0.18457181751728058f, kv[1]);
      assertEquals(-0.09199828654527664f, kv[2]);
      assertEquals(0.041328173130750656f, kv[3]);

      TensorInfo gate = c.tensor("model.layers.0.block_sparse_moe.gate.weight");
      assertArrayEquals(new long[] {8, 256}, gate.shape());
      TensorInfo lm = c.tensor("lm_head.weight");
      assertArrayEquals(new long[] {1000, 256}, lm.shape());
      assertEquals("model-00003-of-00003.safetensors", lm.file().getFileName().toString());
      assertEquals(0.1520446240901947f, read(c, lm)[0]);
      float[] norm = read(c, c.tensor("model.norm.weight"));
      assertEquals(256, norm.length);
      for (float v : norm) {
        assertEquals(1.0f, v);
      }

      assertEquals(Map.of("format", "pt"), c.fileOf(lm).metadata());
      assertEquals(38, c.fileOf(lm).tensors().size());
      assertEquals(46, c.fileOf(k).tensors().size());
      assertSame(c.fileOf(k).tensor(k.name()), c.find(k.name()).orElseThrow());
      assertFalse(c.find("model.layers.4.mlp.gate_proj.weight").isPresent());
      assertTrue(
          k.toString().contains(k.name())
              && k.toString().contains("[128, 256]")
              && k.toString().contains("F32"));
    }
  }

  @Test
  void readFloat32EqualsMappedBytesForEveryF32Tensor() throws IOException {
    try (Checkpoint c = Checkpoint.open(ReferenceData.mixtralF32())) {
      for (String name : c.tensorNames()) {
        TensorInfo t = c.tensor(name);
        ByteBuffer mapped = c.map(t);
        assertTrue(mapped.isReadOnly());
        assertEquals(ByteOrder.LITTLE_ENDIAN, mapped.order());
        assertEquals(t.byteSize(), mapped.remaining());
        float[] fromMap = new float[(int) t.elementCount()];
        mapped.asFloatBuffer().get(fromMap);
        // read into the middle of a larger buffer: the position must be honoured
        FloatBuffer dst = FloatBuffer.allocate(fromMap.length + 5);
        dst.position(3);
        c.readFloat32(t, dst);
        assertEquals(3 + fromMap.length, dst.position());
        float[] got = new float[fromMap.length];
        System.arraycopy(dst.array(), 3, got, 0, got.length);
        assertArrayEquals(fromMap, got, name);
      }
    }
  }

  @Test
  void bf16CheckpointIsTheF32WeightsRoundedToBfloat16() throws IOException {
    try (Checkpoint f32 = Checkpoint.open(ReferenceData.mixtralF32());
        Checkpoint bf16 = Checkpoint.open(ReferenceData.mixtralBf16())) {
      assertEquals(127, bf16.tensorNames().size());
      assertEquals(f32.tensorNames(), bf16.tensorNames());
      assertEquals(f32.totalBytes() / 2, bf16.totalBytes());
      assertEquals(
          "model.safetensors", bf16.tensor("lm_head.weight").file().getFileName().toString());
      for (String name : f32.tensorNames()) {
        TensorInfo a = f32.tensor(name);
        TensorInfo b = bf16.tensor(name);
        assertEquals(DType.BF16, b.dtype());
        assertArrayEquals(a.shape(), b.shape());
        float[] exact = read(f32, a);
        float[] widened = read(bf16, b);
        ShortBuffer raw = bf16.map(b).asShortBuffer();
        for (int i = 0; i < exact.length; i++) {
          short bits = raw.get(i);
          if (HalfFloats.floatToBf16(exact[i]) != bits) {
            throw new AssertionError(
                name
                    + "["
                    + i
                    + "]: "
                    + exact[i]
                    + " rounds to 0x"
                    + Integer.toHexString(HalfFloats.floatToBf16(exact[i]) & 0xFFFF)
                    + ", file has 0x"
                    + Integer.toHexString(bits & 0xFFFF));
          }
          if (Float.floatToRawIntBits(widened[i]) != (bits & 0xFFFF) << 16) {
            throw new AssertionError(name + "[" + i + "] widened wrongly");
          }
        }
      }
    }
  }

  @Test
  void moeText16xBf16ShardedCheckpoint() throws IOException {
    try (Checkpoint c = Checkpoint.open(ReferenceData.moeText16x())) {
      assertEquals(333, c.tensorNames().size());
      assertEquals(46834560L, c.totalBytes());
      TensorInfo norm = c.tensor("model.norm.weight");
      assertEquals(DType.BF16, norm.dtype());
      assertArrayEquals(new long[] {192}, norm.shape());
      assertEquals("model-00002-of-00002.safetensors", norm.file().getFileName().toString());
      float[] v = read(c, norm);
      assertEquals(1.7578125f, v[0]);
      assertEquals(2.03125f, v[1]);
      assertEquals(1.84375f, v[2]);
      assertEquals(2.0f, v[3]);
      ShortBuffer raw = c.map(norm).asShortBuffer();
      assertEquals((short) 0x3fe1, raw.get(0));
      assertArrayEquals(
          new long[] {16, 192}, c.tensor("model.layers.5.block_sparse_moe.gate.weight").shape());
      TensorInfo k = c.tensor("model.layers.0.self_attn.k_proj.weight");
      assertArrayEquals(new long[] {64, 192}, k.shape());
      assertEquals(-0.1494140625f, read(c, k)[1]);
      assertEquals(185, c.fileOf(k).tensors().size());
      assertEquals(148, c.fileOf(norm).tensors().size());
    }
  }

  @Test
  void concurrentReadsAgree() throws Exception {
    try (Checkpoint c = Checkpoint.open(ReferenceData.moeText16x())) {
      List<String> names = new ArrayList<>(c.tensorNames());
      Map<String, float[]> expected = new java.util.HashMap<>();
      for (String n : names) {
        expected.put(n, read(c, c.tensor(n)));
      }
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
          int offset = w;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < names.size(); i++) {
                      String n = names.get((i + offset * 41) % names.size());
                      assertArrayEquals(expected.get(n), read(c, c.tensor(n)), n);
                      c.map(c.tensor(n));
                    }
                    return null;
                  }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void closedFileRejectsUseAndCloseIsIdempotent() throws IOException {
    Checkpoint c = Checkpoint.open(ReferenceData.mixtralBf16());
    TensorInfo t = c.tensor("model.norm.weight");
    SafetensorsFile f = c.fileOf(t);
    c.map(t);
    // close() must release mappings deterministically, which needs Unsafe.invokeCleaner on this JDK
    assertTrue(Unmapper.available());
    c.close();
    c.close();
    assertThrows(IllegalStateException.class, () -> f.map(t));
    assertThrows(IllegalStateException.class, () -> f.readFloat32(t, FloatBuffer.allocate(256)));
    // metadata stays readable: it was parsed at open
    assertEquals(t, c.tensor("model.norm.weight"));
  }

  @Test
  void readFloat32RejectsASmallDestinationAndForeignTensors() throws IOException {
    try (Checkpoint a = Checkpoint.open(ReferenceData.mixtralF32());
        Checkpoint b = Checkpoint.open(ReferenceData.mixtralBf16())) {
      TensorInfo t = a.tensor("model.norm.weight");
      assertThrows(
          IllegalArgumentException.class, () -> a.readFloat32(t, FloatBuffer.allocate(255)));
      assertThrows(IllegalArgumentException.class, () -> b.map(t));
      SafetensorsFile shard3 = a.fileOf(t);
      TensorInfo inShard1 = a.tensor("model.embed_tokens.weight");
      assertThrows(IllegalArgumentException.class, () -> shard3.map(inShard1));
    }
  }
}
