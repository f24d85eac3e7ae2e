package dev.ringmoe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.TensorInfo;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.moe.Router;
import dev.ringmoe.moe.Routing;
import dev.ringmoe.synth.SyntheticCheckpoint;
import dev.ringmoe.tensor.VectorMath;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Non-finite numbers in a forward pass (issue 8, item 3). Before the fix, NaN router probabilities
 * made the top-k pick expert -1 and the pass died with an {@code ArrayIndexOutOfBoundsException};
 * now the decoder stops with a {@link NonFiniteException} naming the layer and the quantity, and
 * routing on NaN (a lookahead guess) still yields valid expert ids.
 */
class NonFiniteValuesTest {
  private static final ModelConfig CONFIG =
      ModelConfig.builder(Architecture.MIXTRAL)
          .layers(2)
          .hiddenSize(32)
          .heads(4)
          .kvHeads(2)
          .experts(4)
          .topK(2)
          .intermediateSize(48)
          .vocabSize(300)
          .build();
  private static final WeightManifest NAMES = WeightManifest.of(CONFIG);
  private static final int[] IDS = {1, 5, 9, 42};

  @TempDir Path tmp;

  @Test
  void nanRouterWeightsNameTheLayerAndTheRouter() throws IOException {
    Path dir = checkpoint(Map.of(NAMES.dense(1).get(Role.ROUTER).name(), Float.NaN));
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      NonFiniteException e = assertThrows(NonFiniteException.class, () -> model.logits(IDS));
      assertTrue(
          e.getMessage().startsWith("layer 1: the router logit is NaN at token 0"), e.getMessage());
      e = assertThrows(NonFiniteException.class, () -> model.logitsIncremental(IDS));
      assertTrue(e.getMessage().contains("layer 1: the router logit is NaN"), e.getMessage());
    }
  }

  @Test
  void overflowingActivationsNameTheLayerAndTheHiddenState() throws IOException {
    Path dir =
        checkpoint(
            Map.of(
                NAMES.expert(0, 0).get(Role.EXPERT_DOWN).name(),
                3e38f,
                NAMES.expert(0, 1).get(Role.EXPERT_DOWN).name(),
                3e38f,
                NAMES.expert(0, 2).get(Role.EXPERT_DOWN).name(),
                3e38f,
                NAMES.expert(0, 3).get(Role.EXPERT_DOWN).name(),
                3e38f));
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      NonFiniteException e = assertThrows(NonFiniteException.class, () -> model.logits(IDS));
      assertTrue(
          e.getMessage().startsWith("layer 0: the hidden state after the MoE block is"),
          e.getMessage());
    }
  }

  @Test
  void nonFiniteLmHeadIsReported() throws IOException {
    Path dir =
        checkpoint(Map.of(NAMES.globals().get(Role.LM_HEAD).name(), Float.POSITIVE_INFINITY));
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      NonFiniteException e = assertThrows(NonFiniteException.class, () -> model.logits(IDS));
      assertTrue(e.getMessage().startsWith("the LM head: the logit is"), e.getMessage());
      // the model stays usable: the same failure again, not a corrupted state
      assertThrows(NonFiniteException.class, () -> model.logits(new int[] {3}));
    }
  }

  @Test
  void routingOnNanStillGivesValidDistinctExperts() {
    Routing two = new Routing(1, 2);
    Router.softmaxTopK(4, 2, true).route(new float[] {Float.NaN, 1f, Float.NaN, 0.5f}, two);
    assertEquals(0, two.expert(0, 0), "an undefined softmax is all NaN; ties go to the lowest ids");
    assertEquals(1, two.expert(0, 1));
    Routing three = new Routing(1, 3);
    Router.softmaxTopK(3, 3, false).route(new float[] {Float.NaN, Float.NaN, Float.NaN}, three);
    assertArrayEquals(
        new int[] {0, 1, 2},
        new int[] {three.expert(0, 0), three.expert(0, 1), three.expert(0, 2)});
  }

  @Test
  void topKOrdersByValueThenLowestIndexWithNanLast() {
    float[] scores = {0.2f, Float.NaN, 0.7f, 0.2f, Float.NEGATIVE_INFINITY, 0.7f};
    int[] ids = new int[6];
    VectorMath.topK(scores, 0, 6, 6, ids, 0);
    assertArrayEquals(new int[] {2, 5, 0, 3, 4, 1}, ids);
    assertThrows(
        IllegalArgumentException.class, () -> VectorMath.topK(scores, 0, 6, 7, new int[7], 0));
  }

  @Test
  void softmaxIsDefinedExactlyForRowsWithAFiniteMaximumAndNoNan() {
    float[] out = new float[3];
    assertTrue(
        VectorMath.softmax(new float[] {1000f, 1000f, Float.NEGATIVE_INFINITY}, 0, 3, out, 0));
    assertArrayEquals(new float[] {0.5f, 0.5f, 0f}, out);
    for (float[] row :
        new float[][] {
          {1f, Float.NaN},
          {1f, Float.POSITIVE_INFINITY},
          {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}
        }) {
      float[] o = new float[2];
      assertFalse(VectorMath.softmax(row, 0, 2, o, 0), Arrays.toString(row));
      assertTrue(Float.isNaN(o[0]) && Float.isNaN(o[1]));
    }
    assertEquals(-1, VectorMath.firstNonFinite(new float[] {1f, -2f}, 0, 2));
    assertEquals(1, VectorMath.firstNonFinite(new float[] {1f, Float.NaN}, 0, 2));
  }

  /**
   * A float32 checkpoint with every element of the named tensors overwritten by the given values.
   */
  private Path checkpoint(Map<String, Float> values) throws IOException {
    Path dir = tmp.resolve("ckpt");
    SyntheticCheckpoint.of(CONFIG).dtype(DType.F32).seed(3).write(dir);
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      for (Map.Entry<String, Float> e : values.entrySet()) {
        overwrite(ckpt.tensor(e.getKey()), e.getValue());
      }
    }
    return dir;
  }

  private static void overwrite(TensorInfo t, float value) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    while (bytes.hasRemaining()) {
      bytes.putFloat(value);
    }
    bytes.flip();
    try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.WRITE)) {
      ch.write(bytes, t.fileOffset());
    }
  }
}
