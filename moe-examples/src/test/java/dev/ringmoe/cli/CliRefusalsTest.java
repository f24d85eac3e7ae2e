package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 9 and "Done means": every refusal prints one line, with no stack trace, and a
 * non-zero status: 2 for any bad argument value, 1 for everything else (bad checkpoint, config,
 * tokenizer, file, interrupt).
 */
class CliRefusalsTest {
  @TempDir Path tmp;

  /** One line on standard error, no stack trace, the given status. */
  private static void assertRefused(int status, CliRun r, String... mentions) {
    String where = r.err();
    assertEquals(status, r.status(), where);
    assertEquals(1, where.strip().lines().count(), "one line expected: " + where);
    assertFalse(where.contains("\tat ") || where.contains("Exception in thread"), where);
    for (String m : mentions) {
      assertTrue(where.contains(m), "'" + m + "' expected in: " + where);
    }
  }

  private Path synth(String name) {
    return CliRun.synth(tmp.resolve(name), "--max-positions", "64");
  }

  // Item 9: --max-new-tokens 0 gave exit 2 but -1 exit 1 (the library's IllegalArgumentException).
  @Test
  void everyBadArgumentValueIsAUsageError() throws IOException {
    Path file = Files.writeString(tmp.resolve("file.txt"), "x");
    Path model = synth("model");
    String[][] bad = {
      {"generate", "--model", "m", "--prompt", "x", "--max-new-tokens", "0"},
      {"generate", "--model", "m", "--prompt", "x", "--max-new-tokens", "-1"},
      {"generate", "--model", "m", "--prompt", "x", "--max-new-tokens", "99999999999"},
      {"generate", "--model", "m", "--prompt", "x", "--temperature", "Infinity"},
      {"generate", "--model", "m", "--prompt", "x", "--temperature", "NaN"},
      {"generate", "--model", "m", "--prompt", "x", "--temperature", "-0.5"},
      {"generate", "--model", "m", "--prompt", "x", "--top-p", "NaN"},
      {"generate", "--model", "m", "--prompt", "x", "--top-k", "0"},
      {"generate", "--model", "m", "--prompt", "x", "--device-memory", "1GB", "--ring-slots", "-1"},
      {"generate", "--model", "m", "--prompt", "x", "--direct-io"},
      {"generate", "--model", "m", "--prompt", "x", "--kv-positions", "64"},
      {
        "generate", "--model", "m", "--prompt", "x", "--device-memory", "1GB", "--kv-positions", "0"
      },
      {
        "logits",
        "--model",
        "m",
        "--ids",
        "1",
        "--out",
        "f",
        "--device-memory",
        "50%",
        "--ring-slots",
        "-3"
      },
      {"logits", "--model", "m", "--ids", "1,-2", "--out", "f"},
      {"logits", "--model", "m", "--ids", "", "--out", "f"},
      {"perplexity", "--model", "m", "--data", "d.u16", "--window", "1"},
      {"bench", "--ring-slots", "-1"},
      {
        "bench",
        "--prompt-tokens",
        "2000000000",
        "--decode-tokens",
        "2000000000",
        "--model",
        model.toString()
      },
      {"synth", "--out", file.toString()},
      {"train-hash", "--trace", "t", "--out", "o", "--epochs", "0"},
      {"trace", "--model", "m", "--data", "d", "--out", "o", "--window", "1"},
      {"eval-hash", "--model", "m", "--predictor", "oracle", "--data", "d", "--max-windows", "0"},
    };
    for (String[] argv : bad) {
      CliRun r = CliRun.run(argv);
      assertRefused(2, r);
      assertTrue(r.out().isEmpty(), String.join(" ", argv) + " printed " + r.out());
    }
  }

  @Test
  void ringSlotsZeroMeansAutomaticAndTheHelpSaysSo() throws IOException {
    Path dir = synth("model");
    Path resident = tmp.resolve("resident.f32");
    Path ring = tmp.resolve("ring.f32");
    assertEquals(
        0,
        CliRun.run(
                "logits",
                "--model",
                dir.toString(),
                "--ids",
                "1,17,42",
                "--out",
                resident.toString())
            .status());
    CliRun r =
        CliRun.run(
            "logits",
            "--model",
            dir.toString(),
            "--ids",
            "1,17,42",
            "--out",
            ring.toString(),
            "--device-memory",
            "75%",
            "--ring-slots",
            "0");
    assertEquals(0, r.status(), r.err());
    assertArrayEquals(Files.readAllBytes(resident), Files.readAllBytes(ring));
    assertTrue(
        CliRun.run("logits", "--help")
            .out()
            .contains("0 (the default) uses as many as the budget holds"));
    assertRefused(
        2,
        CliRun.run(
            "logits",
            "--model",
            dir.toString(),
            "--ids",
            "1",
            "--out",
            ring.toString(),
            "--device-memory",
            "60%",
            "--ring-slots",
            "-1"),
        "--ring-slots must be >= 0");
  }

  // Item 9: --model given a file said "no such file or directory".
  @Test
  void aModelPathThatIsAFileIsCalledNotADirectory() throws IOException {
    Path dir = synth("model");
    Path file = dir.resolve("config.json");
    for (String[] argv :
        new String[][] {
          {
            "logits", "--model", file.toString(), "--ids", "1", "--out", tmp.resolve("x").toString()
          },
          {"generate", "--model", file.toString(), "--prompt", "hi"},
          {
            "trace",
            "--model",
            file.toString(),
            "--data",
            "d.u16",
            "--out",
            tmp.resolve("t").toString()
          },
          {"eval-hash", "--model", file.toString(), "--predictor", "oracle", "--data", "d.u16"}
        }) {
      CliRun r = CliRun.run(argv);
      assertRefused(1, r, file.toString(), "not a directory");
      assertFalse(r.err().contains("no such file"), r.err());
    }
  }

  // Item 9: perplexity --window 100000 failed with "Index 0 out of bounds for length 0".
  @Test
  void perplexityRefusesAWindowLongerThanTheModelOrTheData() throws IOException {
    Path dir = synth("model");
    Path data = tmp.resolve("short.u16");
    ByteBuffer ids = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 10; i++) {
      ids.putShort((short) (10 + i));
    }
    Files.write(data, ids.array());
    assertRefused(
        2,
        CliRun.run(
            "perplexity",
            "--model",
            dir.toString(),
            "--data",
            data.toString(),
            "--window",
            "100000"),
        "--window 100000",
        "64 positions");
    assertRefused(
        2,
        CliRun.run(
            "perplexity", "--model", dir.toString(), "--data", data.toString(), "--window", "32"),
        "holds 10 tokens",
        "--window 32");
    CliRun ok =
        CliRun.run(
            "perplexity", "--model", dir.toString(), "--data", data.toString(), "--window", "8");
    assertEquals(0, ok.status(), ok.err());
    assertTrue(ok.out().contains("1 windows, 7 predicted tokens"), ok.out());
  }

  // Item 9: synth --out over an existing checkpoint silently overwrote part of it.
  @Test
  void synthRefusesANonEmptyDirectoryUnlessForced() throws IOException {
    Path dir = synth("model");
    byte[] config = Files.readAllBytes(dir.resolve("config.json"));
    CliRun again = CliRun.run("synth", "--out", dir.toString(), "--vocab", "400");
    assertRefused(2, again, dir.toString(), "not empty", "--force");
    assertArrayEquals(
        config, Files.readAllBytes(dir.resolve("config.json")), "the checkpoint was touched");

    // --force with one big shard: the old small shards are gone, and what is there loads.
    CliRun forced =
        CliRun.run(
            "synth",
            "--out",
            dir.toString(),
            "--layers",
            "2",
            "--hidden",
            "64",
            "--heads",
            "4",
            "--kv-heads",
            "2",
            "--experts",
            "4",
            "--top-k",
            "2",
            "--intermediate",
            "96",
            "--vocab",
            "320",
            "--shard-size",
            "1GB",
            "--force");
    assertEquals(0, forced.status(), forced.err());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.filter(p -> p.toString().endsWith(".safetensors")).count());
    }
    assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));
    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      assertEquals(320, model.config().vocabSize());
    }
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertEquals(
        0,
        CliRun.run(
                "synth",
                "--out",
                empty.toString(),
                "--layers",
                "1",
                "--hidden",
                "32",
                "--heads",
                "2",
                "--kv-heads",
                "1",
                "--experts",
                "2",
                "--top-k",
                "1",
                "--intermediate",
                "32",
                "--vocab",
                "260")
            .status());
  }

  // "Done means": one line, no stack trace, for each kind of bad file.
  @Test
  void badCheckpointConfigAndTokenizerFilesGiveOneLineNamingTheFile() throws IOException {
    Path shard;
    Path dir = synth("shard");
    try (Stream<Path> files = Files.list(dir)) {
      shard =
          files
              .filter(p -> p.toString().endsWith(".safetensors"))
              .sorted()
              .findFirst()
              .orElseThrow();
    }
    try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40), 0);
    }
    assertRefused(
        1,
        CliRun.run(
            "logits",
            "--model",
            dir.toString(),
            "--ids",
            "1",
            "--out",
            tmp.resolve("a").toString()),
        shard.getFileName().toString());

    Path configDir = synth("config");
    Files.writeString(
        configDir.resolve("config.json"),
        "{\"architectures\": [\"MixtralForCausalLM\"],\n\"hidden");
    assertRefused(
        1,
        CliRun.run("generate", "--model", configDir.toString(), "--prompt", "hi"),
        "config.json");

    Path tokDir = synth("tokenizer");
    Files.copy(
        dev.ringmoe.ReferenceData.mixtralBf16().resolve("tokenizer.json"),
        tokDir.resolve("tokenizer.json"),
        StandardCopyOption.REPLACE_EXISTING);
    assertRefused(
        1,
        CliRun.run("generate", "--model", tokDir.toString(), "--prompt", "hi"),
        "tokenizer.json",
        "vocab_size 300");
    Files.writeString(tokDir.resolve("tokenizer.json"), "{ not json");
    assertRefused(
        1,
        CliRun.run("generate", "--model", tokDir.toString(), "--prompt", "hi"),
        "tokenizer.json");
  }

  @Test
  void anInterruptedCommandSaysSoInOneLine() throws IOException {
    Path dir = synth("model");
    // Without a tokenizer: loading DJL's tokenizer clears the thread's interrupt flag (a swallowed
    // interrupt).
    Files.delete(dir.resolve("tokenizer.json"));
    CliRun r;
    boolean stillInterrupted;
    Thread.currentThread().interrupt();
    try {
      r =
          CliRun.run(
              "logits",
              "--model",
              dir.toString(),
              "--ids",
              "1,2,3",
              "--out",
              tmp.resolve("i.f32").toString());
    } finally {
      stillInterrupted = Thread.interrupted(); // and clear it for the next test, whatever happened
    }
    assertRefused(1, r, "ringmoe logits: interrupted");
    assertTrue(stillInterrupted, "the interrupt flag is kept");
  }

  @Test
  void stackTracesOnlyInDebugMode() throws IOException {
    Path absent = tmp.resolve("absent");
    String[] argv = {
      "logits", "--model", absent.toString(), "--ids", "1", "--out", tmp.resolve("x").toString()
    };
    assertRefused(1, CliRun.run(false, argv), absent.toString());
    CliRun debug = CliRun.run(true, argv);
    assertEquals(1, debug.status());
    assertTrue(debug.err().startsWith("ringmoe logits: " + absent), debug.err());
    assertTrue(debug.err().contains("\tat "), "a stack trace expected with debug: " + debug.err());
  }

  @Test
  void anyThrowableIsDescribedInOneLine() {
    assertEquals(
        "out of memory: Java heap space (RINGMOE_HEAP sets the Java heap; --device-memory streams weights"
            + " through a smaller budget)",
        RingMoeCli.describe(new OutOfMemoryError("Java heap space")));
    assertEquals(
        "first second third",
        RingMoeCli.describe(new IllegalStateException("first\nsecond\r\n  third")));
    assertEquals(
        "the cause",
        RingMoeCli.describe(new RuntimeException(new java.io.IOException("the cause"))));
    assertEquals("NullPointerException", RingMoeCli.describe(new NullPointerException()));
    assertEquals("interrupted", RingMoeCli.describe(new InterruptedException()));
    assertEquals(
        "interrupted while queueing layer 3 expert 1",
        RingMoeCli.describe(
            new IllegalStateException(
                "interrupted while queueing layer 3 expert 1", new InterruptedException())));
    assertEquals(
        "interrupted: reading x",
        RingMoeCli.describe(
            new java.io.IOException(
                "reading x", new java.nio.channels.ClosedByInterruptException())));
    assertEquals(
        "/a/b: not a directory",
        RingMoeCli.describe(new java.nio.file.NotDirectoryException("/a/b")));
    assertEquals(
        "/a/b: no such file or directory",
        RingMoeCli.describe(new java.nio.file.NoSuchFileException("/a/b")));
  }

  // Item 9: train-hash that ran too few steps to print a loss saved a chance-level network without
  // a word.
  @Test
  void trainHashWarnsWhenNoLossWasSampledAndAlwaysPrintsTheFinalLoss() throws IOException {
    Path model = dev.ringmoe.ReferenceData.moeText16x();
    Path trace = tmp.resolve("tiny.trace");
    CliRun t =
        CliRun.run(
            "trace",
            "--model",
            model.toString(),
            "--data",
            model.resolve("data/heldout.u16").toString(),
            "--out",
            trace.toString(),
            "--max-windows",
            "2",
            "--window",
            "16");
    assertEquals(0, t.status(), t.err());
    Path hash = tmp.resolve("tiny.hash");
    CliRun train =
        CliRun.run(
            "train-hash",
            "--trace",
            trace.toString(),
            "--out",
            hash.toString(),
            "--epochs",
            "1",
            "--batch",
            "2");
    assertEquals(0, train.status(), train.err());
    assertTrue(train.err().contains("warning: only 1 training step ran"), train.err());
    assertTrue(
        train
            .out()
            .matches(
                "(?s)trained 1 steps in .* min; final loss \\d+\\.\\d{5} \\(mean over 2 training"
                    + " sequences\\); saved .*"),
        train.out());
    assertTrue(Files.exists(hash));
  }
}
