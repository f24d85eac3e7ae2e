package dev.ringmoe.cli;

import dev.ringmoe.ByteSizes;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The synthetic checkpoints the demo and the benchmark use, written once into a cache directory and
 * reused. A checkpoint counts as cached only when its completion marker records the same
 * configuration, so an interrupted write is redone.
 */
final class SyntheticModels {
  private static final String MARKER = ".ringmoe-complete";

  private SyntheticModels() {}

  /**
   * The benchmark shape: hidden 512, 8 layers, 8/2 heads, 8 experts top-2, intermediate
   * 1792, vocab 1000.
   */
  static ModelConfig benchmarkShape() {
    return ModelConfig.builder(Architecture.MIXTRAL)
        .layers(8)
        .hiddenSize(512)
        .heads(8)
        .kvHeads(2)
        .experts(8)
        .topK(2)
        .intermediateSize(1792)
        .vocabSize(1000)
        .maxPositions(4096)
        .build();
  }

  /** The cache root: {@code $RINGMOE_CACHE}, else {@code ~/.cache/ringmoe}. */
  static Path cacheRoot() {
    String env = System.getenv("RINGMOE_CACHE");
    return env != null && !env.isBlank()
        ? Path.of(env)
        : Path.of(System.getProperty("user.home"), ".cache", "ringmoe");
  }

  /**
   * Returns {@code cacheRoot()/name}, synthesizing the checkpoint there first if it is not
   * complete.
   */
  static Path ensure(String name, ModelConfig config, DType dtype, long seed, PrintStream err)
      throws IOException {
    Path dir = cacheRoot().resolve(name);
    String identity = config + " " + dtype + " seed " + seed + "\n";
    Path marker = dir.resolve(MARKER);
    if (Files.exists(marker) && Files.readString(marker, StandardCharsets.UTF_8).equals(identity)) {
      return dir;
    }
    SyntheticCheckpoint synth =
        SyntheticCheckpoint.of(config).dtype(dtype).seed(seed).shardBytes(256L << 20);
    err.printf(
        "synthesizing %s (%s, %s) into %s (once; cached)%n",
        config, dtype, ByteSizes.format(synth.weightBytes()), dir);
    Files.deleteIfExists(marker);
    try (Progress progress = new Progress(err, synth.weightBytes())) {
      synth.progress(progress::update).write(dir);
    }
    Files.writeString(marker, identity, StandardCharsets.UTF_8);
    return dir;
  }
}
