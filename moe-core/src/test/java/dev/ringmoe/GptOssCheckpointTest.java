package dev.ringmoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.CheckpointFormatException;
import dev.ringmoe.checkpoint.MappedTensorReader;
import dev.ringmoe.checkpoint.Mxfp4;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ExpertFormat;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.ModelConfigException;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.tensor.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * gpt-oss checkpoints as the released ones store them: the MXFP4 decoder against the reference's
 * decoded weights, bit for bit, and the refusals of quantized or unexpected tensors and
 * quantization configs, each naming the tensor or field.
 */
class GptOssCheckpointTest {
  @TempDir Path tmp;

  private static Path mxfp4() {
    return ReferenceData.family("gpt_oss_mxfp4", "mxfp4");
  }

  /**
   * Every expert's gate, up and down matrix and biases, decoded from MXFP4 through the manifest's
   * slices, has the bits of {@code dequantized/} (Hugging Face's decoder; -0 stays -0).
   */
  @Test
  void mxfp4DecodesToTheReferenceBitsForEveryExpert() throws IOException {
    Path deq = ReferenceData.family("gpt_oss_mxfp4", "dequantized");
    ModelConfig qc = ModelConfig.load(mxfp4());
    ModelConfig dc = ModelConfig.load(deq);
    assertEquals(ExpertFormat.MXFP4, qc.expertFormat());
    assertEquals(ExpertFormat.DENSE, dc.expertFormat());
    WeightManifest qm = qc.manifest();
    WeightManifest dm = dc.manifest();
    long negativeZeros = 0;
    long values = 0;
    try (Checkpoint q = Checkpoint.open(mxfp4());
        Checkpoint d = Checkpoint.open(deq);
        TensorReader qr = new MappedTensorReader(q);
        TensorReader dr = new MappedTensorReader(d)) {
      assertEquals(DataType.BFLOAT16, Tensors.weightType(q, qm));
      for (int l = 0; l < qc.layers(); l++) {
        for (int e = 0; e < qc.experts(); e++) {
          for (TensorEntry t : qm.expert(l, e).tensors()) {
            TensorEntry r = dm.expert(l, e).get(t.role());
            if (t.onHeap()) {
              float[] a = Tensors.loadEntryJava(qr, q, t);
              float[] b = Tensors.loadEntryJava(dr, d, r);
              assertTrue(java.util.Arrays.equals(a, b), t + " biases differ");
              continue;
            }
            try (INDArray a = Tensors.loadEntry(qr, q, t, DataType.BFLOAT16);
                INDArray b = Tensors.loadEntry(dr, d, r, DataType.BFLOAT16)) {
              ShortBuffer x = bits(a);
              ShortBuffer y = bits(b);
              for (int i = 0; i < x.capacity(); i++) {
                if (x.get(i) != y.get(i)) {
                  throw new AssertionError(
                      t + " element " + i + ": " + x.get(i) + " vs reference " + y.get(i));
                }
                negativeZeros += x.get(i) == (short) 0x8000 ? 1 : 0;
              }
              values += x.capacity();
            }
          }
        }
      }
    }
    // 2 * 16 experts * 4 layers * (192 * 128 + 128 * 96) values; the README counts 130,602 -0s
    assertEquals(2_359_296, values);
    assertEquals(130_602, negativeZeros);
  }

  private static ShortBuffer bits(INDArray a) {
    return Tensors.bytesAt(a, 0, 2 * a.length()).asShortBuffer();
  }

  @Test
  void mxfp4CodesAndScales() {
    // byte 0x8F: low nibble (element 0) code 15 = -6, high nibble (element 1) code 8 = -0
    byte[] blocks = new byte[16];
    blocks[0] = (byte) 0x8F;
    blocks[1] = 0x71; // element 2: +0.5, element 3: +6
    byte[] scales = {(byte) 126};
    assertEquals(-3f, Mxfp4.value(blocks, 0, scales, 0, 0));
    assertEquals(
        Float.floatToRawIntBits(-0f),
        Float.floatToRawIntBits(Mxfp4.value(blocks, 0, scales, 0, 1)));
    assertEquals(0.25f, Mxfp4.value(blocks, 0, scales, 0, 2));
    assertEquals(3f, Mxfp4.value(blocks, 0, scales, 0, 3));
  }

  @Test
  void aQuantizedTensorWhereTheConfigExpectsFloatsIsRefusedByName() throws IOException {
    Path dir = copy(ReferenceData.family("gpt_oss", "f32"));
    String name = "model.layers.0.mlp.experts.gate_up_proj";
    // the same bytes relabelled as U8 [16, 128, 768] (four bytes per float32)
    relabel(dir, name, "U8", "[16,128,768]");
    CheckpointFormatException e = refusal(dir, CheckpointFormatException.class);
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains("U8"), e.getMessage());
  }

  @Test
  void anEightBitFloatTensorIsRefusedByName() throws IOException {
    Path dir = copy(mxfp4());
    String name = "model.layers.0.self_attn.q_proj.weight";
    relabel(dir, name, "F8_E4M3", "[192,256]");
    CheckpointFormatException e = refusal(dir, CheckpointFormatException.class);
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains("F8_E4M3"), e.getMessage());
  }

  @Test
  void mxfp4BlocksOfAnotherDtypeAreRefusedByName() throws IOException {
    Path dir = copy(mxfp4());
    String name = "model.layers.2.mlp.experts.down_proj_blocks";
    relabel(dir, name, "I8", null);
    CheckpointFormatException e = refusal(dir, CheckpointFormatException.class);
    assertTrue(
        e.getMessage().contains(name) && e.getMessage().contains("must be U8"), e.getMessage());
  }

  @Test
  void mxfp4ScalesOfAnotherShapeAreRefusedByName() throws IOException {
    Path dir = copy(mxfp4());
    String name = "model.layers.3.mlp.experts.gate_up_proj_scales";
    relabel(dir, name, "U8", "[16,96,8]");
    CheckpointFormatException e = refusal(dir, CheckpointFormatException.class);
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains("shape"), e.getMessage());
  }

  @Test
  void anotherQuantizationMethodIsRefusedNamingTheField() throws IOException {
    Path dir = copy(mxfp4());
    Path config = dir.resolve("config.json");
    Files.writeString(
        config, Files.readString(config).replace("\"mxfp4\"", "\"fp8\""), StandardCharsets.UTF_8);
    ModelConfigException e = refusal(dir, ModelConfigException.class);
    assertTrue(
        e.getMessage().contains("quant_method") && e.getMessage().contains("fp8"), e.getMessage());
  }

  @Test
  void aDenseCheckpointDeclaredMxfp4NamesTheMissingBlocks() throws IOException {
    Path dir = copy(ReferenceData.family("gpt_oss", "bf16"));
    Path config = dir.resolve("config.json");
    String json = Files.readString(config);
    Files.writeString(
        config,
        json.replaceFirst("\\{", "{\"quantization_config\": {\"quant_method\": \"mxfp4\"},"),
        StandardCharsets.UTF_8);
    CheckpointFormatException e = refusal(dir, CheckpointFormatException.class);
    assertTrue(e.getMessage().contains("gate_up_proj_blocks"), e.getMessage());
  }

  @Test
  void layerTypesOfAnotherKindAreRefused() throws IOException {
    Path dir = copy(ReferenceData.family("gpt_oss", "f32"));
    Path config = dir.resolve("config.json");
    Files.writeString(
        config,
        Files.readString(config).replaceFirst("\"full_attention\"", "\"chunked_attention\""),
        StandardCharsets.UTF_8);
    ModelConfigException e = refusal(dir, ModelConfigException.class);
    assertTrue(e.getMessage().contains("layer_types[1]"), e.getMessage());
  }

  /** Fields a gpt-oss config.json leaves out take {@code GptOssConfig}'s defaults. */
  @Test
  void absentFieldsTakeHuggingFacesGptOssDefaults() throws IOException {
    Path dir = tmp.resolve("defaults");
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("config.json"),
        "{\"architectures\": [\"GptOssForCausalLM\"], \"hidden_size\": 256,"
            + " \"num_hidden_layers\": 3, \"num_attention_heads\": 16, \"intermediate_size\": 64,"
            + " \"num_local_experts\": 8, \"num_experts_per_tok\": 2, \"vocab_size\": 300}",
        StandardCharsets.UTF_8);
    ModelConfig c = ModelConfig.load(dir);
    assertEquals(64, c.headDim());
    assertEquals(8, c.kvHeads());
    assertEquals(131072, c.maxPositions());
    assertEquals(150000.0, c.ropeTheta());
    assertEquals(128, c.attentionWindow(0));
    assertEquals(0, c.attentionWindow(1));
    assertEquals(128, c.attentionWindow(2));
    assertEquals(32.0, c.yarn().factor());
    assertEquals(4096, c.yarn().originalMaxPositionEmbeddings());
    assertEquals(7.0, c.swigluLimit());
    assertTrue(c.attentionBias() && c.outputBias() && c.attentionSinks());
    Path config = dir.resolve("config.json");
    Files.writeString(
        config,
        Files.readString(config).replace("}", ", \"rope_scaling\": {\"rope_type\": \"default\"}}"),
        StandardCharsets.UTF_8);
    assertEquals(null, ModelConfig.load(dir).yarn());
  }

  private static <T extends Exception> T refusal(Path dir, Class<T> type) {
    return assertThrows(type, () -> MoeModel.builder().checkpoint(dir).build().close());
  }

  private Path copy(Path src) throws IOException {
    Path dst = tmp.resolve(src.getParent().getFileName() + "-" + src.getFileName());
    Files.createDirectories(dst);
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : files.toList()) {
        Files.copy(f, dst.resolve(f.getFileName()));
      }
    }
    return dst;
  }

  /**
   * Rewrites {@code name}'s header entry in its shard with another dtype (and shape), the data
   * untouched; the header keeps its length (space padding), so the data offsets stay valid.
   */
  private static void relabel(Path dir, String name, String dtype, String shape)
      throws IOException {
    String index = Files.readString(dir.resolve("model.safetensors.index.json"));
    Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":\\s*\"([^\"]+)\"").matcher(index);
    assertTrue(m.find(), name + " in the index");
    Path shard = dir.resolve(m.group(1));
    byte[] bytes = Files.readAllBytes(shard);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int length = (int) b.getLong(0);
    String header = new String(bytes, 8, length, StandardCharsets.UTF_8);
    Matcher t =
        Pattern.compile(
                "(\""
                    + Pattern.quote(name)
                    + "\":\\s*\\{[^}]*?\"dtype\":\\s*\")([^\"]+)(\"[^}]*?\"shape\":\\s*)(\\[[^\\]]*\\])")
            .matcher(header);
    assertTrue(t.find(), name + " in " + shard);
    String replaced =
        header.substring(0, t.start())
            + t.group(1)
            + dtype
            + t.group(3)
            + (shape != null ? shape : t.group(4))
            + header.substring(t.end());
    // room for a longer dtype name: the metadata block is optional
    String trimmed = replaced.stripTrailing().replace("\"__metadata__\":{\"format\":\"pt\"},", "");
    assertTrue(trimmed.length() <= length, "the new header fits");
    String padded = trimmed + " ".repeat(length - trimmed.length());
    System.arraycopy(padded.getBytes(StandardCharsets.UTF_8), 0, bytes, 8, length);
    Files.write(shard, bytes);
  }
}
