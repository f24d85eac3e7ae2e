package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.seq2seq.EncoderDecoderModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line on the families beyond Mixtral: the SiDA pipeline on Qwen2-MoE, whose dense
 * layer has no router (traces and the hash network cover the two layers that route), and {@code
 * synth --arch} plus {@code bench} for every family.
 */
class FamilyCliTest {
  @TempDir Path tmp;

  /** Random token ids 3..vocab-1 as a .u16 file. */
  private Path tokens(int count, int vocab) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(2 * count).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < count; i++) {
      b.putShort((short) r.nextInt(3, vocab));
    }
    Path file = tmp.resolve("tokens.u16");
    Files.write(file, b.array());
    return file;
  }

  @Test
  void sidaPipelineRunsOnQwen2MoeWithItsDenseLayer() throws IOException {
    Path model = ReferenceData.family("qwen2_moe", "f32");
    Path data = tokens(2000, 1000);
    Path trace = tmp.resolve("q2.trace");
    CliRun t =
        CliRun.run(
            "trace",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--out",
            trace.toString(),
            "--max-windows",
            "8",
            "--window",
            "24",
            "--hidden-states");
    assertEquals(0, t.status(), t.err());
    Path hash = tmp.resolve("q2.hash");
    CliRun train =
        CliRun.run(
            "train-hash",
            "--trace",
            trace.toString(),
            "--out",
            hash.toString(),
            "--epochs",
            "10",
            "--batch",
            "4");
    assertEquals(0, train.status(), train.err());
    assertTrue(train.out().contains("saved"), train.out());

    CliRun eval =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--data",
            trace.toString(),
            "--predictor",
            "sida:" + hash + ",lookahead,oracle");
    assertEquals(0, eval.status(), eval.err());
    // two routing layers (0 and 2; layer 1 is dense), and the oracle is right on both
    assertTrue(eval.out().contains("L0     L1  average"), eval.out());
    assertTrue(eval.out().matches("(?s).*oracle\\s+100\\.00 100\\.00\\s+100\\.00.*"), eval.out());

    String ids = "1,564,916,435,275,33,120,7";
    Path resident = tmp.resolve("resident.f32");
    assertEquals(
        0,
        CliRun.run(
                "logits", "--model", model.toString(), "--ids", ids, "--out", resident.toString())
            .status());
    for (String predictor : new String[] {"sida:" + hash, "combined:" + hash, "oracle"}) {
      for (String store : new String[] {"--expert-cache", "--prefetch"}) {
        Path out = tmp.resolve("served.f32");
        String[] args =
            store.equals("--expert-cache")
                ? new String[] {
                  "logits",
                  "--model",
                  model.toString(),
                  "--ids",
                  ids,
                  "--out",
                  out.toString(),
                  "--device-memory",
                  "60%",
                  "--kv-positions",
                  "64",
                  "--predictor",
                  predictor,
                  "--expert-cache"
                }
                : new String[] {
                  "logits",
                  "--model",
                  model.toString(),
                  "--ids",
                  ids,
                  "--out",
                  out.toString(),
                  "--device-memory",
                  "60%",
                  "--kv-positions",
                  "64",
                  "--predictor",
                  predictor
                };
        CliRun r = CliRun.run(args);
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(
            Files.readAllBytes(resident),
            Files.readAllBytes(out),
            predictor + " changed the logits");
      }
    }
    CliRun sida =
        CliRun.run(
            "perplexity",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--max-windows",
            "2",
            "--window",
            "24",
            "--device-memory",
            "60%",
            "--kv-positions",
            "64",
            "--predictor",
            "sida:" + hash,
            "--mode",
            "sida");
    assertEquals(0, sida.status(), sida.err());
    assertTrue(sida.out().contains("sida vs exact: perplexity"), sida.out());
  }

  /**
   * SiDA on its own models: traces, the hash network and its evaluation cover Switch Transformers'
   * encoder layers (the two sparse ones); served through the expert cache with the trained network
   * prefetching, the outputs stay the resident ones bit for bit.
   */
  @Test
  void sidaPipelineRunsOnSwitchTransformersEncoderLayers() throws IOException {
    Path model = ReferenceData.root().resolve("switch_transformers").resolve("f32");
    Path data = tokens(2000, 1000);
    Path trace = tmp.resolve("switch.trace");
    CliRun t =
        CliRun.run(
            "trace",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--out",
            trace.toString(),
            "--max-windows",
            "8",
            "--window",
            "24",
            "--hidden-states");
    assertEquals(0, t.status(), t.err());
    try (dev.ringmoe.hash.trace.RoutingTraceReader reader =
        dev.ringmoe.hash.trace.RoutingTraceReader.open(trace)) {
      assertEquals(2, reader.header().layers(), "the encoder's two sparse layers");
    }
    Path hash = tmp.resolve("switch.hash");
    CliRun train =
        CliRun.run(
            "train-hash",
            "--trace",
            trace.toString(),
            "--out",
            hash.toString(),
            "--epochs",
            "10",
            "--batch",
            "4");
    assertEquals(0, train.status(), train.err());
    assertTrue(train.out().contains("saved"), train.out());
    CliRun eval =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--data",
            trace.toString(),
            "--predictor",
            "sida:" + hash + ",lookahead,oracle");
    assertEquals(0, eval.status(), eval.err());
    assertTrue(eval.out().contains("L0     L1  average"), eval.out());
    assertTrue(eval.out().matches("(?s).*oracle\\s+100\\.00 100\\.00\\s+100\\.00.*"), eval.out());

    int[] encoderIds = {1, 564, 916, 435, 275, 33, 120, 7, 2};
    int[] decoderIds = {0, 564, 916, 435};
    float[][] expected;
    try (EncoderDecoderModel resident = EncoderDecoderModel.open(model)) {
      expected = resident.logits(encoderIds, decoderIds);
    }
    dev.ringmoe.model.ExpertPredictor sida = Predictors.runtime("sida:" + hash, model, "test");
    try (EncoderDecoderModel served =
        dev.ringmoe.MoeModel.builder()
            .checkpoint(model)
            .deviceMemory(
                Math.round(0.6 * dev.ringmoe.config.ModelConfig.load(model).weightBytes(4)))
            .expertCache(true)
            .kvPositions(64)
            .predictor(sida)
            .buildEncoderDecoder()) {
      assertEquals(0.0, ReferenceData.maxAbsDiff(expected, served.logits(encoderIds, decoderIds)));
    }
    // SiDA's mode: the hash network routes the encoder's sparse layers
    CliRun sidaMode =
        CliRun.run(
            "perplexity",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--max-windows",
            "2",
            "--window",
            "24",
            "--device-memory",
            "60%",
            "--predictor",
            "sida:" + hash,
            "--mode",
            "sida",
            "--kv-positions",
            "64");
    assertEquals(0, sidaMode.status(), sidaMode.err());
    assertTrue(sidaMode.out().contains("sida vs exact: perplexity"), sidaMode.out());
    System.out.print(sidaMode.out());
  }

  @Test
  void synthWritesSwitchTransformers() throws IOException {
    Path dir = tmp.resolve("switch");
    CliRun s =
        CliRun.run(
            "synth",
            "--arch",
            "switch_transformers",
            "--out",
            dir.toString(),
            "--layers",
            "4",
            "--decoder-layers",
            "3",
            "--sparse-layers",
            "2",
            "--hidden",
            "64",
            "--heads",
            "4",
            "--head-dim",
            "16",
            "--experts",
            "8",
            "--intermediate",
            "96",
            "--vocab",
            "300",
            "--capacity",
            "16",
            "--tie",
            "--dtype",
            "bf16",
            "--seed",
            "3");
    assertEquals(0, s.status(), s.err());
    try (EncoderDecoderModel model = EncoderDecoderModel.open(dir)) {
      assertEquals("switch_transformers", model.config().architecture().modelType());
      // encoder 4 layers with 2 sparse (step 2: layers 1, 3); decoder 3 with 2 sparse (step 1)
      assertArrayEquals(new int[] {1, 3, 4, 5, 6}, model.config().moeLayers());
      assertTrue(model.config().tieWordEmbeddings());
      assertEquals(16, model.config().encoderDecoder().expertCapacity());
      int[] out =
          model
              .generate(
                  new int[] {5, 6, 7, 8, 9},
                  dev.ringmoe.generate.GenerationOptions.builder()
                      .maxNewTokens(4)
                      .stopAtEos(false)
                      .build())
              .generatedIds();
      assertEquals(4, out.length);
    }
    CliRun b =
        CliRun.run(
            "bench",
            "--model",
            dir.toString(),
            "--prompt-tokens",
            "8",
            "--decode-tokens",
            "4",
            "--repeats",
            "1",
            "--budgets",
            "80%",
            "--stores",
            "ring,cache");
    assertEquals(0, b.status(), b.err());
    assertTrue(b.out().contains("80% cache"), b.out());
    assertTrue(b.out().contains("80% ring"), b.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "gpt_oss"})
  void synthWritesEachFamilyAndBenchRunsOnIt(String arch) throws IOException {
    Path dir = tmp.resolve(arch);
    CliRun s =
        CliRun.run(
            "synth",
            "--arch",
            arch,
            "--out",
            dir.toString(),
            "--layers",
            "3",
            "--dense-layers",
            "1",
            "--hidden",
            "64",
            "--heads",
            "4",
            "--kv-heads",
            "2",
            "--head-dim",
            "32",
            "--experts",
            "8",
            "--top-k",
            "2",
            "--intermediate",
            "32",
            "--vocab",
            "300",
            "--dtype",
            "bf16",
            "--seed",
            "3");
    assertEquals(0, s.status(), s.err());
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      assertEquals(arch, model.config().architecture().modelType());
      boolean denseLayer = arch.startsWith("qwen");
      assertEquals(denseLayer ? 2 : 3, model.config().moeLayers().length);
      assertEquals(
          arch.equals("qwen2_moe") ? 64 : 0, model.config().sharedExpertIntermediateSize());
    }
    CliRun b =
        CliRun.run(
            "bench",
            "--model",
            dir.toString(),
            "--prompt-tokens",
            "8",
            "--decode-tokens",
            "4",
            "--repeats",
            "1",
            "--budgets",
            "80%",
            "--stores",
            "ring,cache");
    assertEquals(0, b.status(), b.err());
    assertTrue(b.out().contains("80% cache"), b.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"deepseek_v2", "deepseek_v3"})
  void synthWritesDeepseekAndBenchRunsOnIt(String arch) throws IOException {
    Path dir = tmp.resolve(arch);
    CliRun s =
        CliRun.run(
            "synth",
            "--arch",
            arch,
            "--out",
            dir.toString(),
            "--layers",
            "3",
            "--hidden",
            "64",
            "--heads",
            "4",
            "--experts",
            "8",
            "--top-k",
            "2",
            "--intermediate",
            "32",
            "--kv-lora-rank",
            "24",
            "--qk-nope-dim",
            "16",
            "--qk-rope-dim",
            "8",
            "--v-head-dim",
            "12",
            "--groups",
            "4",
            "--topk-group",
            "2",
            "--vocab",
            "300",
            "--dtype",
            "bf16",
            "--seed",
            "3");
    assertEquals(0, s.status(), s.err());
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      assertEquals(arch, model.config().architecture().modelType());
      assertEquals(2, model.config().moeLayers().length, "layer 0 dense by default");
      assertEquals(64, model.config().sharedExpertIntermediateSize());
      assertEquals(24, model.config().mla().kvLoraRank());
      assertEquals(arch.equals("deepseek_v3") ? 64 : 0, model.config().mla().qLoraRank());
      assertEquals(4, model.config().groupRouting().groups());
      float[][] logits = model.logits(new int[] {1, 5, 9, 20});
      assertEquals(300, logits[3].length);
    }
    CliRun b =
        CliRun.run(
            "bench",
            "--model",
            dir.toString(),
            "--prompt-tokens",
            "8",
            "--decode-tokens",
            "4",
            "--repeats",
            "1",
            "--budgets",
            "80%",
            "--stores",
            "ring,cache");
    assertEquals(0, b.status(), b.err());
    assertTrue(b.out().contains("80% cache"), b.out());
  }
}
