package dev.ringmoe.jmh;

import dev.ringmoe.checkpoint.Checkpoint;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.model.Decoder;
import dev.ringmoe.model.KvCache;
import dev.ringmoe.model.ResidentWeightStore;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * End-to-end forward passes of a small Mixtral-shaped model with every weight resident: hidden 512,
 * 8 layers, 8 query / 2 KV heads, 8 experts top-2, intermediate 1792, vocabulary 1000, F32 (about
 * 0.73 GB of weights).
 *
 * <p>Why: this is what the matrix-vector and bandwidth benchmarks are for; comparing its bytes per
 * second with theirs shows how much of a decode step is weight streaming and how much is overhead
 * (per-op dispatch, attention, routing).
 *
 * <ul>
 *   <li>{@link #decodeStep}: one token through {@link Decoder#forward} after a 16-token prompt;
 *       ops/s = tokens/s. The cache is cleared and the prompt re-run every 256 steps, inside the
 *       measured method, so the positions attended over stay between 16 and 272; that re-prefill is
 *       about 1/256 of the calls and is included in the score.
 *   <li>{@link #prefill128}: a 128-token prompt into an empty cache; tokens/s = ops/s × 128.
 * </ul>
 *
 * <p>A decode step reads the attention weights (2.6 MB a layer), two experts' weights (11 MB each a
 * layer) and the LM head (2 MB): about 199 MB per token, so {@code tokens/s × 0.199} is the weight
 * bandwidth in GB/s.
 *
 * <p>The checkpoint is synthesized once per trial into a temporary directory, which the teardown
 * deletes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {Jvm.HEAP, Jvm.MAX_BYTES, Jvm.MAX_PHYSICAL_BYTES, Jvm.ONEDNN, Jvm.VECTOR})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class DecodeBenchmark {
  static final int PROMPT = 16;
  static final int STEPS_PER_SEQUENCE = 256;
  static final int PREFILL = 128;

  private Path dir;
  private Checkpoint checkpoint;
  private ResidentWeightStore weights;
  private Decoder decoder;
  private ModelConfig config;
  private KvCache decodeCache;
  private KvCache prefillCache;
  private int[] prompt;
  private int[] prefillTokens;
  private final int[] next = new int[1];
  private int token;

  static ModelConfig benchmarkModel() {
    return ModelConfig.builder(Architecture.MIXTRAL)
        .layers(8)
        .hiddenSize(512)
        .heads(8)
        .kvHeads(2)
        .experts(8)
        .topK(2)
        .intermediateSize(1792)
        .vocabSize(1000)
        .build();
  }

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    config = benchmarkModel();
    dir = Files.createTempDirectory("ringmoe-jmh-decode");
    SyntheticCheckpoint.of(config).dtype(DType.F32).seed(1).write(dir);
    checkpoint = Checkpoint.open(dir);
    weights = ResidentWeightStore.load(checkpoint, config);
    decoder = new Decoder(config, weights);
    System.out.printf("resident weights: %.1f MB%n", weights.bytes() / 1e6);
    prompt = tokens(PROMPT, 7);
    prefillTokens = tokens(PREFILL, 11);
    decodeCache = decoder.newCache();
    prefillCache = decoder.newCache();
    decoder.forward(prompt, decodeCache, false);
  }

  private int[] tokens(int count, int seed) {
    int[] ids = new int[count];
    for (int i = 0; i < count; i++) {
      ids[i] = (seed + i * 37) % config.vocabSize();
    }
    return ids;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    decoder.close();
    weights.close();
    checkpoint.close();
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }

  @Benchmark
  public float[] decodeStep() {
    if (decodeCache.length() >= PROMPT + STEPS_PER_SEQUENCE) {
      decodeCache.clear();
      decoder.forward(prompt, decodeCache, false);
    }
    token = (token * 31 + 17) % config.vocabSize();
    next[0] = token;
    return decoder.forward(next, decodeCache, false);
  }

  @Benchmark
  public float[] prefill128() {
    prefillCache.clear();
    return decoder.forward(prefillTokens, prefillCache, false);
  }
}
