package dev.ringmoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ExpertActivation;
import dev.ringmoe.config.GateKind;
import dev.ringmoe.config.GroupRouting;
import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.YarnScaling;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints of shapes unlike the reference one (other layer, expert, top-k and head counts;
 * multi-head and multi-query attention; tied embeddings; sliding windows, per layer for gpt-oss;
 * attention sinks, the clamped SwiGLU with its limit hit, YaRN; BF16 and F16 storage; one or many
 * shards) against an independent naive implementation, for the full forward and for incremental
 * decoding.
 */
class SyntheticShapesTest {
  @TempDir Path tmp;

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(
            "2 layers, 4 experts top-1, MQA, bf16, sharded",
            ModelConfig.builder(Architecture.MIXTRAL)
                .layers(2)
                .hiddenSize(64)
                .heads(4)
                .kvHeads(1)
                .experts(4)
                .topK(1)
                .intermediateSize(96)
                .vocabSize(300)
                .ropeTheta(1e4)
                .build(),
            DType.BF16,
            40_000L),
        Arguments.of(
            "3 layers, 6 experts top-3, MHA, tied embeddings, f32",
            ModelConfig.builder(Architecture.MIXTRAL)
                .layers(3)
                .hiddenSize(96)
                .heads(6)
                .kvHeads(6)
                .experts(6)
                .topK(3)
                .intermediateSize(80)
                .vocabSize(400)
                .tieWordEmbeddings(true)
                .build(),
            DType.F32,
            1L << 30),
        Arguments.of(
            "1 layer, 3 experts top-2, head_dim 16 != hidden/heads, sliding window 5, f16",
            ModelConfig.builder(Architecture.MIXTRAL)
                .layers(1)
                .hiddenSize(48)
                .heads(4)
                .kvHeads(2)
                .headDim(16)
                .experts(3)
                .topK(2)
                .intermediateSize(64)
                .vocabSize(259)
                .slidingWindow(5)
                .build(),
            DType.F16,
            30_000L),
        Arguments.of(
            "2 layers, 8 experts top-2, gate without renormalisation (norm_topk_prob false), f32",
            ModelConfig.builder(Architecture.MIXTRAL)
                .layers(2)
                .hiddenSize(64)
                .heads(4)
                .kvHeads(2)
                .experts(8)
                .topK(2)
                .intermediateSize(64)
                .vocabSize(300)
                .gate(GateKind.SOFTMAX_TOPK)
                .build(),
            DType.F32,
            1L << 30),
        Arguments.of(
            "5 layers, 16 experts top-4, GQA 8/2, f32, sharded",
            ModelConfig.builder(Architecture.MIXTRAL)
                .layers(5)
                .hiddenSize(64)
                .heads(8)
                .kvHeads(2)
                .experts(16)
                .topK(4)
                .intermediateSize(48)
                .vocabSize(512)
                .build(),
            DType.F32,
            200_000L),
        Arguments.of(
            "qwen2_moe: 3 layers (layer 1 dense), 8 experts top-4, shared expert with gate, qkv bias, bf16",
            ModelConfig.builder(Architecture.QWEN2_MOE)
                .layers(3)
                .hiddenSize(64)
                .heads(4)
                .kvHeads(2)
                .experts(8)
                .topK(4)
                .intermediateSize(40)
                .denseIntermediateSize(96)
                .denseLayers(1)
                .sharedExpertIntermediateSize(56)
                .gate(GateKind.SOFTMAX_TOPK)
                .vocabSize(300)
                .build(),
            DType.BF16,
            60_000L),
        Arguments.of(
            "qwen3_moe: head_dim 32 x 4 heads != hidden 64, 64 experts top-8, per-head q/k norm, f32",
            ModelConfig.builder(Architecture.QWEN3_MOE)
                .layers(2)
                .hiddenSize(64)
                .heads(4)
                .kvHeads(2)
                .headDim(32)
                .experts(64)
                .topK(8)
                .intermediateSize(16)
                .vocabSize(300)
                .build(),
            DType.F32,
            1L << 30),
        Arguments.of(
            "qwen3_moe: head_dim 8 x 16 heads, MQA, top-1, attention bias, sliding-free, f16",
            ModelConfig.builder(Architecture.QWEN3_MOE)
                .layers(2)
                .hiddenSize(64)
                .heads(16)
                .kvHeads(1)
                .headDim(8)
                .experts(4)
                .topK(1)
                .intermediateSize(32)
                .attentionBias(true)
                .vocabSize(300)
                .build(),
            DType.F16,
            1L << 30),
        Arguments.of(
            "olmoe: whole-projection q/k norm, 16 experts top-2, GQA 8/2, not renormalised, f32, sharded",
            ModelConfig.builder(Architecture.OLMOE)
                .layers(3)
                .hiddenSize(64)
                .heads(8)
                .kvHeads(2)
                .experts(16)
                .topK(2)
                .intermediateSize(32)
                .gate(GateKind.SOFTMAX_TOPK)
                .vocabSize(300)
                .build(),
            DType.F32,
            100_000L),
        Arguments.of(
            "deepseek_v2: MLA without q compression (kv rank 24, nope 16, rope 8, v 20), YaRN,"
                + " group-limited softmax 8 experts in 4 groups keep 2 top-3, shared, layer 0 dense,"
                + " bf16, sharded",
            ModelConfig.builder(Architecture.DEEPSEEK_V2)
                .layers(3)
                .hiddenSize(64)
                .heads(4)
                .kvHeads(4)
                .headDim(8)
                .experts(8)
                .topK(3)
                .intermediateSize(40)
                .denseIntermediateSize(96)
                .denseLayers(0)
                .sharedExpertIntermediateSize(80)
                .mla(new MlaConfig(0, 24, 16, 8, 20, true, false))
                .groupRouting(new GroupRouting(4, 2, 1.5, false))
                .yarn(new YarnScaling(4.0, 128, null, null, null, null, null, null))
                .maxPositions(512)
                .ropeTheta(1e4)
                .vocabSize(300)
                .build(),
            DType.BF16,
            60_000L),
        Arguments.of(
            "deepseek_v3: MLA with q rank 40 (kv 16, nope 8, rope 12, v 10), rotate-half rope,"
                + " YaRN mscale 0.707/0.5, sigmoid 12 experts in 3 groups keep 1 top-3, not"
                + " renormalised, no shared expert, f32",
            ModelConfig.builder(Architecture.DEEPSEEK_V3)
                .layers(2)
                .hiddenSize(48)
                .heads(6)
                .kvHeads(6)
                .headDim(12)
                .experts(12)
                .topK(3)
                .intermediateSize(24)
                .denseLayers()
                .mla(new MlaConfig(40, 16, 8, 12, 10, false, true))
                .groupRouting(new GroupRouting(3, 1, 3.0, false))
                .yarn(new YarnScaling(16.0, null, null, 0.707, 0.5, 16.0, 2.0, null))
                .maxPositions(1024)
                .ropeTheta(1e4)
                .vocabSize(300)
                .build(),
            DType.F32,
            1L << 30),
        Arguments.of(
            "deepseek_v3: one group, plain rope, interleaved, renormalised, 2 shared, tied, f16",
            ModelConfig.builder(Architecture.DEEPSEEK_V3)
                .layers(2)
                .hiddenSize(64)
                .heads(2)
                .kvHeads(2)
                .headDim(16)
                .experts(6)
                .topK(2)
                .intermediateSize(32)
                .denseLayers()
                .sharedExpertIntermediateSize(64)
                .mla(new MlaConfig(32, 32, 24, 16, 24, true, true))
                .groupRouting(new GroupRouting(1, 1, 2.5, true))
                .tieWordEmbeddings(true)
                .vocabSize(300)
                .build(),
            DType.F16,
            1L << 30),
        Arguments.of(
            "gpt_oss: sinks, window 4 on layers 1 and 2, 6 experts top-3, MQA, head_dim 24,"
                + " clamp 0.6 hit, YaRN factor 8, bf16, sharded",
            ModelConfig.builder(Architecture.GPT_OSS)
                .layers(3)
                .hiddenSize(64)
                .heads(4)
                .kvHeads(1)
                .headDim(24)
                .experts(6)
                .topK(3)
                .intermediateSize(40)
                .vocabSize(300)
                .ropeTheta(1e4)
                .slidingWindow(4)
                .fullAttentionLayers(0)
                .expertActivation(ExpertActivation.CLAMPED_SWIGLU, 0.6)
                .yarn(new YarnScaling(8.0, null, null, null, null, 16.0, 2.0, true))
                .build(),
            DType.BF16,
            60_000L),
        Arguments.of(
            "gpt_oss: every layer sliding window 3, 5 experts top-1, MHA, no attention bias,"
                + " YaRN from original 256 of 1024 positions, tied embeddings, f32",
            ModelConfig.builder(Architecture.GPT_OSS)
                .layers(2)
                .hiddenSize(48)
                .heads(3)
                .kvHeads(3)
                .experts(5)
                .topK(1)
                .intermediateSize(24)
                .vocabSize(280)
                .attentionBias(false)
                .outputBias(false)
                .slidingWindow(3)
                .tieWordEmbeddings(true)
                .maxPositions(1024)
                .expertActivation(ExpertActivation.CLAMPED_SWIGLU, 1.5)
                .yarn(new YarnScaling(4.0, 256, null, null, null, null, null, false))
                .build(),
            DType.F32,
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
    if (shardBytes < 1_000_000) {
      assertTrue(
          Files.exists(dir.resolve("model.safetensors.index.json")),
          "expected a sharded checkpoint");
    }
    SplittableRandom random = new SplittableRandom(7);
    int[] ids = random.ints(12, 0, config.vocabSize()).toArray();
    double[][] expected;
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      NaiveMoe naive = new NaiveMoe(ModelConfig.load(dir), ckpt);
      expected = naive.logits(ids);
      if (config.expertActivation() == ExpertActivation.CLAMPED_SWIGLU) {
        assertTrue(naive.clamped > 0, "the SwiGLU limit is never hit");
      }
    }
    ModelConfig loaded = ModelConfig.load(dir);
    assertEquals(config.gate(), loaded.gate(), "gate kind survives config.json");
    assertEquals(
        config.groupRouting(), loaded.groupRouting(), "group routing survives config.json");
    assertEquals(config.mla(), loaded.mla(), "MLA shape survives config.json");
    assertEquals(config.yarn(), loaded.yarn(), "YaRN scaling survives config.json");
    assertEquals(config.sharedExpertIntermediateSize(), loaded.sharedExpertIntermediateSize());
    assertEquals(config.moeLayers().length, loaded.moeLayers().length);
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      float[][] full = model.logits(ids);
      float[][] steps = model.logitsIncremental(ids);
      double fullDiff = 0;
      double stepDiff = 0;
      double scale = 0;
      for (int t = 0; t < ids.length; t++) {
        for (int v = 0; v < config.vocabSize(); v++) {
          fullDiff = Math.max(fullDiff, Math.abs(full[t][v] - expected[t][v]));
          stepDiff = Math.max(stepDiff, Math.abs(steps[t][v] - full[t][v]));
          scale = Math.max(scale, Math.abs(expected[t][v]));
        }
      }
      System.out.printf(
          "%s: max |logit| %.3g, vs naive %.3g, incremental vs full %.3g%n",
          name, scale, fullDiff, stepDiff);
      assertTrue(scale > 0.1, "degenerate logits");
      assertTrue(
          fullDiff < 1e-3, "full forward differs from the naive implementation by " + fullDiff);
      assertTrue(
          stepDiff < 1e-4, "incremental decode differs from the full forward by " + stepDiff);
    }
  }
}
