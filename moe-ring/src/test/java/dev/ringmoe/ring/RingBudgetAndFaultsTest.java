package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.ByteSizes;
import dev.ringmoe.MoeModel;
import dev.ringmoe.Prefetch;
import dev.ringmoe.RingStats;
import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.TokenListener;
import dev.ringmoe.model.Decoder;
import dev.ringmoe.model.StoreOptions;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Budgets that cannot work are refused with the minimum; failures surface in the caller; close
 * frees everything.
 */
class RingBudgetAndFaultsTest {
  @TempDir Path dir;
  private final ModelConfig config =
      ModelConfig.builder(Architecture.MIXTRAL)
          .layers(4)
          .hiddenSize(64)
          .heads(4)
          .kvHeads(2)
          .experts(4)
          .topK(2)
          .intermediateSize(96)
          .vocabSize(300)
          .build();
  private final int[] ids = {1, 20, 33, 47, 59, 61, 72, 88};

  @BeforeEach
  void writeCheckpoint() throws IOException {
    SyntheticCheckpoint.of(config).dtype(DType.BF16).shardBytes(100_000).seed(2).write(dir);
  }

  /** The checkpoint is BF16, held as bfloat16: 2 bytes per parameter. */
  private static final int WIDTH = 2;

  private long minimum() {
    return KvReservation.of(config)
        + WIDTH * config.globalParameters()
        + WIDTH * (config.denseLayerParameters() + config.experts() * config.expertParameters());
  }

  @Test
  void budgetBelowTheMinimumNamesTheMinimum() throws IOException {
    long min = minimum();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MoeModel.builder().checkpoint(dir).deviceMemory(min - 1).build());
    assertTrue(e.getMessage().contains("minimum"), e.getMessage());
    assertTrue(e.getMessage().contains(ByteSizes.format(min)), e.getMessage());
    try (MoeModel model = MoeModel.builder().checkpoint(dir).deviceMemory(min).build()) {
      model.logits(ids);
      RingStats s = model.ringStats().orElseThrow();
      assertEquals(1, s.slots());
      assertTrue(s.peakDeviceBytes() <= min);
    }
  }

  @Test
  void planIsComputedFromTheBudgetAndPrintable() {
    long everything = config.weightBytes(WIDTH);
    SectionPlan all = SectionPlan.plan(config, DataType.BFLOAT16, everything, 0);
    assertTrue(all.holdsEveryLayer() && all.denseResident());
    assertTrue(all.deviceBytes() <= everything);
    SectionPlan half = SectionPlan.plan(config, DataType.BFLOAT16, everything / 2, 0);
    assertTrue(half.slots() >= 1 && half.slots() < config.layers(), half.describe());
    assertTrue(half.deviceBytes() <= everything / 2);
    assertTrue(half.describe().contains(half.slots() + " slot"), half.describe());
    for (long budget = minimum(); budget <= everything; budget += everything / 37) {
      SectionPlan p = SectionPlan.plan(config, DataType.BFLOAT16, budget, 0);
      assertTrue(p.deviceBytes() <= budget, p.describe());
    }
  }

  /**
   * One budget: the KV cache of the positions it is given is reserved in it next to the weights,
   * for the ring and the expert cache; a sequence longer than those positions is refused before it
   * runs, and generation stops there.
   */
  @Test
  void theKvCacheIsPartOfTheBudget() throws IOException {
    long kv = KvReservation.of(config);
    for (boolean expertCache : new boolean[] {false, true}) {
      long budget =
          expertCache
              ? kv
                  + WIDTH
                      * (config.globalParameters()
                          + (long) config.layers() * config.denseLayerParameters()
                          + config.expertParameters())
              : minimum();
      try (MoeModel model =
          MoeModel.builder()
              .checkpoint(dir)
              .deviceMemory(budget)
              .expertCache(expertCache)
              .build()) {
        model.logits(ids);
        RingStats s = model.ringStats().orElseThrow();
        assertTrue(s.peakDeviceBytes() <= budget, s.toString());
        assertTrue(s.peakDeviceBytes() >= kv + WIDTH * config.globalParameters(), s.toString());
      }
      IllegalArgumentException tooSmall =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  MoeModel.builder()
                      .checkpoint(dir)
                      .deviceMemory(budget - 1)
                      .expertCache(expertCache)
                      .build());
      assertTrue(
          tooSmall.getMessage().contains("KV cache of 2048 positions"), tooSmall.getMessage());
      assertTrue(tooSmall.getMessage().contains(ByteSizes.format(budget)), tooSmall.getMessage());
      // Fewer positions leave more of the same budget to the weights.
      try (MoeModel model =
          MoeModel.builder()
              .checkpoint(dir)
              .deviceMemory(budget - kv + dev.ringmoe.model.KvCache.bytes(config, 8))
              .expertCache(expertCache)
              .kvPositions(8)
              .build()) {
        assertEquals(ids.length, model.logits(ids).length);
        int[] nine = java.util.Arrays.copyOf(ids, 9);
        IllegalArgumentException longer =
            assertThrows(IllegalArgumentException.class, () -> model.logits(nine));
        assertTrue(longer.getMessage().contains("--kv-positions"), longer.getMessage());
        var result =
            model.generate(
                java.util.Arrays.copyOf(ids, 5),
                GenerationOptions.builder().maxNewTokens(20).stopAtEos(false).build(),
                TokenListener.NONE);
        assertEquals(
            dev.ringmoe.generate.GenerationResult.StopReason.MAX_POSITIONS, result.stopReason());
        assertEquals(4, result.generatedIds().length);
      }
    }
  }

  @Test
  void fractionOfTheWeightsIsABudget() throws IOException {
    try (MoeModel model =
        MoeModel.builder().checkpoint(dir).deviceMemoryFraction(0.5).kvPositions(32).build()) {
      model.logits(ids);
      RingStats s = model.ringStats().orElseThrow();
      assertTrue(s.peakDeviceBytes() <= config.weightBytes(WIDTH) / 2, s.toString());
      assertEquals(config.weightBytes(WIDTH) / 2, s.deviceBudgetBytes());
    }
  }

  @Test
  void statsCountWhatMoved() throws IOException {
    try (MoeModel model =
        MoeModel.builder()
            .checkpoint(dir)
            .deviceMemory(minimum())
            .prefetch(Prefetch.NONE)
            .build()) {
      model.generate(
          ids,
          GenerationOptions.builder().maxNewTokens(4).stopAtEos(false).build(),
          TokenListener.NONE);
      RingStats s = model.ringStats().orElseThrow();
      assertEquals(ids.length + 3, s.tokens());
      assertEquals(4, s.passes());
      assertTrue(
          s.copies() > 0 && s.deviceBytesWritten() > 0 && s.storageBytesRead() > 0, s.toString());
      // bf16 storage held as bfloat16: a copy writes the bytes it read (heap norms aside).
      assertEquals(s.storageBytesRead(), s.deviceBytesWritten());
      assertTrue(s.prefetchMisses() > 0, "synchronous loading misses every expert: " + s);
      assertTrue(s.stallNanos() > 0 && s.stallNanos() <= s.computeNanos(), s.toString());
      assertTrue(s.toJson().contains("\"peak_device_bytes\""));
      model.resetStats();
      assertEquals(0, model.ringStats().orElseThrow().copies());
    }
  }

  @Test
  void aShardTruncatedAfterOpeningFailsInTheCallerWithoutHanging() throws Exception {
    MoeModel model =
        MoeModel.builder().checkpoint(dir).deviceMemory(minimum()).prefetch(Prefetch.ALL).build();
    try (Stream<Path> shards = Files.list(dir)) {
      for (Path shard : shards.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
          ch.truncate(ch.size() / 3);
        }
      }
    }
    RingException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () ->
                assertThrows(
                    RingException.class,
                    () -> {
                      for (int i = 0; i < 3; i++) {
                        model.logits(ids);
                      }
                    }));
    assertTrue(e.getMessage().contains("layer"), e.getMessage());
    model.close();
    assertFalse(copyThreadsAlive(), "copy thread still running after close");
  }

  @Test
  void closeStopsTheCopyThreadAndRepeatedCyclesDoNotGrowMemory() throws Exception {
    // Large enough that leaking one model's native memory per cycle (about 20 MB) would dwarf the
    // allocator's noise.
    Path big = dir.resolve("big");
    ModelConfig bigConfig =
        ModelConfig.builder(Architecture.MIXTRAL)
            .layers(3)
            .hiddenSize(256)
            .heads(4)
            .kvHeads(2)
            .experts(4)
            .topK(2)
            .intermediateSize(1024)
            .vocabSize(300)
            .build();
    SyntheticCheckpoint.of(bigConfig).dtype(DType.BF16).seed(4).write(big);
    long budget = bigConfig.weightBytes(WIDTH) / 2;
    GenerationOptions options =
        GenerationOptions.builder().maxNewTokens(3).stopAtEos(false).build();
    Runnable cycle =
        () -> {
          try (MoeModel model =
              MoeModel.builder().checkpoint(big).deviceMemory(budget).kvPositions(32).build()) {
            model.generate(ids, options, TokenListener.NONE);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };
    // Warm up first: the JIT's code cache and the allocator's arenas grow during the first few
    // dozen cycles.
    for (int i = 0; i < 60; i++) {
      cycle.run();
    }
    // The collector runs only around the measurement, so that heap garbage does not count as
    // growth; memory that
    // close() fails to free deterministically is caught by
    // closeFreesEveryNativeArrayDeterministically.
    System.gc();
    long before = residentBytes();
    for (int i = 0; i < 200; i++) {
      cycle.run();
      if (i % 50 == 0) {
        Runtime rt = Runtime.getRuntime();
        long maps =
            Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.contains("safetensors"))
                .count();
        System.out.printf(
            "cycle %d: RSS %d MB, heap committed %d MB used %d MB, checkpoint mappings %d%n",
            i,
            residentBytes() >> 20,
            rt.totalMemory() >> 20,
            (rt.totalMemory() - rt.freeMemory()) >> 20,
            maps);
      }
    }
    System.gc();
    long after = residentBytes();
    System.out.printf(
        "RSS before %d MB, after 200 open-generate-close cycles %d MB%n",
        before >> 20, after >> 20);
    assertFalse(copyThreadsAlive(), "copy threads still running after close");
    assertTrue(after - before < 64L << 20, "RSS grew by " + ((after - before) >> 20) + " MB");
  }

  @Test
  void closeFreesEveryNativeArrayDeterministically() throws IOException {
    for (long budget : new long[] {minimum(), config.float32WeightBytes()}) {
      RingWeightStore store;
      try (Checkpoint ckpt = Checkpoint.open(dir);
          RingWeightStore s =
              RingWeightStore.open(
                  ckpt,
                  config,
                  new StoreOptions(budget, 0, 0, Prefetch.LOOKAHEAD, null).withKvPositions(32));
          Decoder decoder = new Decoder(config, s)) {
        store = s;
        decoder.forward(ids, decoder.newCache(), false);
        assertFalse(store.released());
      }
      assertTrue(store.released(), "native arrays left open after close (budget " + budget + ")");
    }
  }

  private static boolean copyThreadsAlive() throws InterruptedException {
    for (int i = 0; i < 50; i++) {
      if (Thread.getAllStackTraces().keySet().stream()
          .noneMatch(t -> t.getName().startsWith("ringmoe-copy"))) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** The process's resident set size from /proc (Linux), in bytes. */
  static long residentBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
