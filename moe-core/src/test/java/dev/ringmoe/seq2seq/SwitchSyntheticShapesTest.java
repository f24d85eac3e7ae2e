package dev.ringmoe.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.ReferenceData;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.EncoderDecoderConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.family.SwitchTransformersFamily;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Switch Transformers checkpoints of shapes the reference does not have (stacks of unequal depth,
 * every layer or one layer sparse, {@code d_kv * heads} unlike {@code d_model}, an odd {@code
 * d_kv}, few buckets with a short max distance so that the logarithmic buckets are used, a small
 * expert capacity that drops tokens, tied embeddings with T5's rescaling, BF16 and F16, one or many
 * shards) against {@link NaiveSwitch}, a double-precision implementation; and the oracle itself
 * against the reference's float64 logits.
 */
class SwitchSyntheticShapesTest {
  @TempDir Path tmp;

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(
            "every-layer-sparse, capacity 3 (drops), tied, 16 buckets to 20, F32 sharded",
            SwitchTransformersFamily.builder(new EncoderDecoderConfig(3, 2, 16, 20, 0, 3), 3, 2)
                .hiddenSize(64)
                .heads(2)
                .kvHeads(2)
                .headDim(24)
                .intermediateSize(96)
                .denseIntermediateSize(96)
                .experts(5)
                .vocabSize(300)
                .tieWordEmbeddings(true)
                .build(),
            DType.F32,
            60_000L),
        Arguments.of(
            "one sparse layer per stack, 16 experts, odd d_kv, BF16",
            SwitchTransformersFamily.builder(new EncoderDecoderConfig(2, 3, 8, 12, 3, 64), 1, 1)
                .hiddenSize(48)
                .heads(2)
                .kvHeads(2)
                .headDim(15)
                .intermediateSize(80)
                .denseIntermediateSize(80)
                .experts(16)
                .vocabSize(320)
                .tieWordEmbeddings(false)
                .build(),
            DType.BF16,
            1L << 30),
        Arguments.of(
            "deep encoder, shallow decoder, step 2 from 6 of 3, F16",
            SwitchTransformersFamily.builder(new EncoderDecoderConfig(6, 1, 32, 128, 0, 64), 3, 1)
                .hiddenSize(32)
                .heads(4)
                .kvHeads(4)
                .headDim(8)
                .intermediateSize(64)
                .denseIntermediateSize(64)
                .experts(4)
                .vocabSize(260)
                .tieWordEmbeddings(false)
                .build(),
            DType.F16,
            1L << 30));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void matchesNaiveImplementation(String name, ModelConfig config, DType dtype, long shardBytes)
      throws IOException {
    Path dir = tmp.resolve("ckpt");
    SyntheticCheckpoint.of(config)
        .dtype(dtype)
        .shardBytes(shardBytes)
        .seed(name.hashCode())
        .write(dir);
    ModelConfig loaded = ModelConfig.load(dir);
    assertArrayEquals(config.moeLayers(), loaded.moeLayers(), "sparse layers survive config.json");
    assertEquals(config.tieWordEmbeddings(), loaded.tieWordEmbeddings());
    assertEquals(config.encoderDecoder().toString(), loaded.encoderDecoder().toString(), "layout");
    SplittableRandom random = new SplittableRandom(11);
    // encoder inputs up to 40 positions: past every exact bucket of the small tables
    int[] encoderIds = random.ints(40, 0, config.vocabSize()).toArray();
    int[] decoderIds = random.ints(14, 0, config.vocabSize()).toArray();
    double[][] expectedEncoder;
    double[][] expected;
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      NaiveSwitch naive = new NaiveSwitch(loaded, ckpt);
      expectedEncoder = naive.encode(encoderIds);
      expected = naive.logits(encoderIds, decoderIds);
    }
    try (EncoderDecoderModel model = EncoderDecoderModel.open(dir)) {
      float[] encoded = model.encode(encoderIds).hidden();
      double encoderDiff = 0;
      for (int t = 0; t < encoderIds.length; t++) {
        for (int i = 0; i < config.hiddenSize(); i++) {
          encoderDiff =
              Math.max(
                  encoderDiff,
                  Math.abs(encoded[t * config.hiddenSize() + i] - expectedEncoder[t][i]));
        }
      }
      float[][] full = model.logits(encoderIds, decoderIds);
      float[][] steps = model.logitsIncremental(encoderIds, decoderIds);
      double fullDiff = 0;
      double stepDiff = 0;
      double scale = 0;
      for (int t = 0; t < decoderIds.length; t++) {
        for (int v = 0; v < config.vocabSize(); v++) {
          fullDiff = Math.max(fullDiff, Math.abs(full[t][v] - expected[t][v]));
          stepDiff = Math.max(stepDiff, Math.abs(steps[t][v] - full[t][v]));
          scale = Math.max(scale, Math.abs(expected[t][v]));
        }
      }
      System.out.printf(
          "%s: max |logit| %.3g, encoder vs naive %.3g, logits vs naive %.3g, incremental vs full"
              + " %.3g%n",
          name, scale, encoderDiff, fullDiff, stepDiff);
      assertTrue(scale > 0.1, "degenerate logits");
      assertTrue(encoderDiff < 1e-3, "encoder output differs from the naive one by " + encoderDiff);
      assertTrue(fullDiff < 1e-3, "logits differ from the naive implementation by " + fullDiff);
      if (config.encoderDecoder().expertCapacity() >= decoderIds.length) {
        // with drops, Hugging Face's capacity is per call: one token per call never drops
        assertTrue(stepDiff < 1e-4, "incremental decode differs from the full pass by " + stepDiff);
      }
    }
  }

  @Test
  void naiveOracleMatchesTheReferenceInDoublePrecision() throws IOException {
    Path root = ReferenceData.root().resolve("switch_transformers");
    int[] encoderIds = {
      564, 916, 435, 275, 946, 300, 299, 936, 922, 288, 919, 956, 916, 973, 504, 932, 924, 264, 313,
      266, 314, 923, 984, 933, 472, 935, 939, 884, 493, 330, 553, 483, 2
    };
    int[] decoderIds = {
      0, 564, 916, 435, 275, 946, 300, 299, 936, 922, 288, 919, 956, 916, 973, 504
    };
    double[] expected = doubles(root.resolve("logits_f64.f64"));
    double[] expectedEncoder = doubles(root.resolve("encoder_output_f64.f64"));
    Path dir = root.resolve("f32");
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      NaiveSwitch naive = new NaiveSwitch(ModelConfig.load(dir), ckpt);
      double[][] enc = naive.encode(encoderIds);
      double[][] logits = naive.logits(encoderIds, decoderIds);
      double encDiff = 0;
      for (int t = 0; t < enc.length; t++) {
        for (int i = 0; i < enc[t].length; i++) {
          encDiff = Math.max(encDiff, Math.abs(enc[t][i] - expectedEncoder[t * enc[t].length + i]));
        }
      }
      double diff = 0;
      for (int t = 0; t < logits.length; t++) {
        for (int v = 0; v < logits[t].length; v++) {
          diff = Math.max(diff, Math.abs(logits[t][v] - expected[t * logits[t].length + v]));
        }
      }
      System.out.printf("naive switch vs HF float64: encoder %.3g, logits %.3g%n", encDiff, diff);
      assertTrue(encDiff < 1e-6, "encoder " + encDiff);
      assertTrue(diff < 1e-6, "logits " + diff);
    }
  }

  private static double[] doubles(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    double[] out = new double[b.remaining() / 8];
    b.asDoubleBuffer().get(out);
    return out;
  }
}
