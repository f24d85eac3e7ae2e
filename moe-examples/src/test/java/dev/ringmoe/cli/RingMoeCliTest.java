package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end, in-process: synth, then generate and logits on what it wrote; and
 * bad input.
 */
class RingMoeCliTest {
  @TempDir Path tmp;

  private Path synth() {
    return CliRun.synth(tmp.resolve("model"));
  }

  @Test
  void synthWritesAShardedCheckpointThatLoads() throws IOException {
    Path dir = synth();
    assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
    assertTrue(Files.exists(dir.resolve("tokenizer.json")));
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      assertEquals(4, model.config().experts());
      assertEquals(300, model.config().vocabSize());
    }
  }

  @Test
  void logitsWritesRawFloat32OfEveryPosition() throws IOException {
    Path dir = synth();
    Path out = tmp.resolve("logits.f32");
    CliRun r =
        CliRun.run(
            "logits", "--model", dir.toString(), "--ids", "1,17,42,299", "--out", out.toString());
    assertEquals(0, r.status(), r.err());
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(4 * 300 * 4, bytes.capacity());
    float[] written = new float[4 * 300];
    bytes.asFloatBuffer().get(written);
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      float[][] expected = model.logits(new int[] {1, 17, 42, 299});
      for (int t = 0; t < 4; t++) {
        assertArrayEquals(
            expected[t], java.util.Arrays.copyOfRange(written, t * 300, (t + 1) * 300));
      }
    }
  }

  @Test
  void logitsThroughTheRingEqualResidentAndWriteStats() throws IOException {
    Path dir = synth();
    Path resident = tmp.resolve("resident.f32");
    Path ring = tmp.resolve("ring.f32");
    Path stats = tmp.resolve("stats.json");
    assertEquals(
        0,
        CliRun.run(
                "logits",
                "--model",
                dir.toString(),
                "--ids",
                "1,17,42,299,5",
                "--out",
                resident.toString())
            .status());
    CliRun r =
        CliRun.run(
            "logits",
            "--model",
            dir.toString(),
            "--ids",
            "1,17,42,299,5",
            "--out",
            ring.toString(),
            "--device-memory",
            "70%",
            "--kv-positions",
            "64",
            "--ring-slots",
            "1",
            "--prefetch",
            "none",
            "--stats-json",
            stats.toString());
    assertEquals(0, r.status(), r.err());
    assertArrayEquals(Files.readAllBytes(resident), Files.readAllBytes(ring));
    String json = Files.readString(stats);
    assertTrue(json.contains("\"slots\": 1") && json.contains("\"peak_device_bytes\""), json);
    assertTrue(r.err().contains("ring: 1 slots"), r.err());
    CliRun tooSmall =
        CliRun.run(
            "logits",
            "--model",
            dir.toString(),
            "--ids",
            "1",
            "--out",
            ring.toString(),
            "--device-memory",
            "10KB");
    assertEquals(1, tooSmall.status());
    assertTrue(tooSmall.err().contains("minimum"), tooSmall.err());
  }

  @Test
  void generatePrintsTheContinuation() throws IOException {
    Path dir = synth();
    CliRun greedy =
        CliRun.run(
            "generate",
            "--model",
            dir.toString(),
            "--prompt",
            "hello world",
            "--max-new-tokens",
            "6");
    assertEquals(0, greedy.status(), greedy.err());
    assertTrue(greedy.out().startsWith("hello world"), greedy.out());
    assertTrue(greedy.err().contains("6 generated"), greedy.err());
    CliRun again =
        CliRun.run(
            "generate",
            "--model",
            dir.toString(),
            "--prompt",
            "hello world",
            "--max-new-tokens",
            "6",
            "--greedy");
    assertEquals(greedy.out(), again.out());
    CliRun sampled =
        CliRun.run(
            "generate",
            "--model",
            dir.toString(),
            "--prompt",
            "hello world",
            "--max-new-tokens",
            "6",
            "--temperature",
            "0.8",
            "--top-p",
            "0.9",
            "--seed",
            "3");
    CliRun sampledAgain =
        CliRun.run(
            "generate",
            "--model",
            dir.toString(),
            "--prompt",
            "hello world",
            "--max-new-tokens",
            "6",
            "--temperature",
            "0.8",
            "--top-p",
            "0.9",
            "--seed",
            "3");
    assertEquals(0, sampled.status(), sampled.err());
    assertEquals(sampled.out(), sampledAgain.out());
  }

  @Test
  void badArgumentsGiveOneLineAndNonZeroExit() {
    String[][] bad = {
      {"generate", "--prompt", "x"},
      {"generate", "--model", "m", "--prompt", "x", "--temperature", "hot"},
      {"generate", "--model", "m", "--prompt", "x", "--greedy", "--temperature", "0.5"},
      {"logits", "--model", "m", "--ids", "1,x", "--out", "f"},
      {"synth", "--out", "d", "--dtype", "int4"},
      {"synth", "--out", "d", "--shard-size", "12XB"},
      {"synth", "--out", "d", "--vocab", "100"},
      {"synth", "--out", "d", "--heads", "6", "--kv-heads", "4"},
      {"frobnicate"},
      {"bench", "--bogus"},
      {"generate", "--model", "m", "--prompt", "x", "--device-memory", "150%"},
      {"generate", "--model", "m", "--prompt", "x", "--ring-slots", "2"},
      {
        "logits",
        "--model",
        "m",
        "--ids",
        "1",
        "--out",
        "f",
        "--device-memory",
        "1GB",
        "--prefetch",
        "maybe"
      },
      {"bench", "--budgets", "25%,lots"},
    };
    for (String[] argv : bad) {
      CliRun r = CliRun.run(argv);
      assertEquals(2, r.status(), String.join(" ", argv) + " -> " + r.err());
      assertEquals(1, r.err().strip().lines().count(), "one line expected: " + r.err());
      assertTrue(r.out().isEmpty(), r.out());
    }
  }

  @Test
  void failuresNameTheProblemAndExitOne() {
    CliRun r =
        CliRun.run(
            "logits",
            "--model",
            tmp.resolve("absent").toString(),
            "--ids",
            "1",
            "--out",
            tmp.resolve("x").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("absent"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  @Test
  void helpIsAvailableEverywhere() {
    CliRun top = CliRun.run("--help");
    assertEquals(0, top.status());
    for (String c :
        new String[] {
          "generate",
          "logits",
          "synth",
          "demo",
          "bench",
          "trace",
          "train-hash",
          "eval-hash",
          "perplexity"
        }) {
      assertTrue(top.out().contains(c), top.out());
      CliRun h = CliRun.run(c, "--help");
      assertEquals(0, h.status());
      assertTrue(h.out().startsWith("Usage: ringmoe " + c), h.out());
    }
  }

  @Test
  void traceThenEvaluatePredictorsOnTheTextModel() throws IOException {
    Path model = dev.ringmoe.ReferenceData.moeText16x();
    Path data = model.resolve("data/heldout.u16");
    Path trace = tmp.resolve("heldout.trace");
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
            "4",
            "--hidden-states");
    assertEquals(0, t.status(), t.err());
    assertTrue(t.out().contains("recorded 4 sequences"), t.out());
    Path json = tmp.resolve("oracle.json");
    CliRun oracle =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--predictor",
            "oracle",
            "--data",
            trace.toString(),
            "--json",
            json.toString());
    assertEquals(0, oracle.status(), oracle.err());
    assertTrue(Files.readString(json).contains("1.0"), Files.readString(json));
    CliRun lookahead =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--predictor",
            "lookahead",
            "--data",
            data.toString(),
            "--max-windows",
            "2");
    assertEquals(0, lookahead.status(), lookahead.err());
    assertTrue(lookahead.out().contains("average"), lookahead.out());
    CliRun frequency =
        CliRun.run(
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            "The function",
            "--max-new-tokens",
            "4",
            "--device-memory",
            "40%",
            "--predictor",
            "frequency:" + trace);
    assertEquals(0, frequency.status(), frequency.err());
    assertTrue(frequency.err().contains("ring:"), frequency.err());
    CliRun badMode =
        CliRun.run(
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            "x",
            "--mode",
            "sida",
            "--predictor",
            "lookahead");
    assertEquals(2, badMode.status(), badMode.err());
    CliRun badPredictor =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--predictor",
            "psychic",
            "--data",
            data.toString());
    assertEquals(2, badPredictor.status(), badPredictor.err());
  }

  @Test
  void aTrainedHashNetworkServesExactLogitsAndSidaModeReportsItsPerplexity() throws IOException {
    Path model = dev.ringmoe.ReferenceData.moeText16x();
    Path data = model.resolve("data/heldout.u16");
    Path trace = tmp.resolve("small.trace");
    assertEquals(
        0,
        CliRun.run(
                "trace",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--out",
                trace.toString(),
                "--max-windows",
                "4",
                "--window",
                "32",
                "--hidden-states")
            .status());
    Path hash = tmp.resolve("sida.hash");
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
    assertTrue(train.err().contains("step 10 / 10  loss"), train.err());
    assertTrue(train.out().contains("saved"), train.out());

    CliRun all =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--data",
            trace.toString(),
            "--predictor",
            "sida:" + hash + ",combined:" + hash + "@0.7,lookahead,oracle");
    assertEquals(0, all.status(), all.err());
    assertTrue(all.out().contains("router top-1 within the predicted top-2"), all.out());
    assertTrue(all.out().contains("combined(sida:sida.hash, lookahead, w=0.7)"), all.out());
    CliRun bare =
        CliRun.run(
            "eval-hash",
            "--model",
            model.toString(),
            "--data",
            trace.toString(),
            "--predictor",
            hash.toString());
    assertEquals(0, bare.status(), bare.err());
    assertTrue(bare.out().contains("sida:sida.hash on small.trace"), bare.out());

    String ids = "1,415,2936,17,99,3001,12,7";
    Path resident = tmp.resolve("resident.f32");
    assertEquals(
        0,
        CliRun.run(
                "logits", "--model", model.toString(), "--ids", ids, "--out", resident.toString())
            .status());
    for (String predictor : new String[] {"sida:" + hash, "combined:" + hash, "oracle"}) {
      Path out = tmp.resolve("served.f32");
      CliRun r =
          CliRun.run(
              "logits",
              "--model",
              model.toString(),
              "--ids",
              ids,
              "--out",
              out.toString(),
              "--device-memory",
              "25%",
              "--predictor",
              predictor);
      assertEquals(0, r.status(), r.err());
      assertArrayEquals(
          Files.readAllBytes(resident), Files.readAllBytes(out), predictor + " changed the logits");
    }

    CliRun ppl =
        CliRun.run(
            "perplexity",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--max-windows",
            "2",
            "--window",
            "32",
            "--device-memory",
            "25%",
            "--predictor",
            "sida:" + hash,
            "--mode",
            "sida");
    assertEquals(0, ppl.status(), ppl.err());
    assertTrue(ppl.out().contains("exact  2 windows, 62 predicted tokens: perplexity"), ppl.out());
    assertTrue(ppl.out().contains("sida vs exact: perplexity"), ppl.out());
  }

  @Test
  void byteSizesParseWithUnits() {
    assertEquals(512_000_000L, Args.parseBytes("512MB"));
    assertEquals(3L << 29, Args.parseBytes("1.5GiB"));
    assertEquals(4096, Args.parseBytes("4096"));
  }
}
