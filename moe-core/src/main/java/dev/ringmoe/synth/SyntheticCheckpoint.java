package dev.ringmoe.synth;

import com.google.common.base.Preconditions;
import dev.ringmoe.checkpoint.CheckpointWriter;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.TensorSource;
import dev.ringmoe.checkpoint.TensorSpec;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.config.WeightNames;
import dev.ringmoe.tokenizer.SyntheticTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Writes a random-weight checkpoint in the Hugging Face layout ({@code config.json}, {@code generation_config.json},
 * sharded safetensors with their index, and a working {@code tokenizer.json}), streaming to disk so that checkpoints
 * of many GB need little memory. Weights are uniform with the variance of {@code 1/fan_in} (so activations stay of
 * order one through the layers and routing varies between tokens); norms are one. The same seed gives the same
 * bytes.
 *
 * <p>Stateless apart from its settings; not thread-safe while configuring.
 */
public final class SyntheticCheckpoint {
  private final ModelConfig config;
  private DType dtype = DType.F32;
  private long shardBytes = 2L << 30;
  private long seed = 1234;
  private LongConsumer progress = bytes -> {};

  private SyntheticCheckpoint(ModelConfig config) {
    this.config = Preconditions.checkNotNull(config);
  }

  public static SyntheticCheckpoint of(ModelConfig config) {
    return new SyntheticCheckpoint(config);
  }

  /** Storage dtype of the weights: F32, BF16 or F16. */
  public SyntheticCheckpoint dtype(DType dtype) {
    Preconditions.checkArgument(dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.F16,
        "synthetic checkpoints store F32, BF16 or F16, not %s", dtype);
    this.dtype = dtype;
    return this;
  }

  /** The largest shard in bytes (a tensor larger than this gets a shard of its own). */
  public SyntheticCheckpoint shardBytes(long bytes) {
    Preconditions.checkArgument(bytes > 0, "shard size must be positive");
    this.shardBytes = bytes;
    return this;
  }

  public SyntheticCheckpoint seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** Receives the number of weight bytes written so far, after every chunk. */
  public SyntheticCheckpoint progress(LongConsumer listener) {
    this.progress = Preconditions.checkNotNull(listener);
    return this;
  }

  /** The tensors, in the order they are written. */
  public List<TensorSpec> tensors() {
    WeightNames n = config.architecture().weightNames();
    long h = config.hiddenSize();
    long q = (long) config.heads() * config.headDim();
    long kv = (long) config.kvHeads() * config.headDim();
    long inter = config.intermediateSize();
    List<TensorSpec> specs = new ArrayList<>();
    specs.add(new TensorSpec(n.embedding(), dtype, new long[] {config.vocabSize(), h}));
    for (int l = 0; l < config.layers(); l++) {
      specs.add(new TensorSpec(n.query(l), dtype, new long[] {q, h}));
      specs.add(new TensorSpec(n.key(l), dtype, new long[] {kv, h}));
      specs.add(new TensorSpec(n.value(l), dtype, new long[] {kv, h}));
      specs.add(new TensorSpec(n.output(l), dtype, new long[] {h, q}));
      specs.add(new TensorSpec(n.router(l), dtype, new long[] {config.experts(), h}));
      for (int e = 0; e < config.experts(); e++) {
        specs.add(new TensorSpec(n.expertGate(l, e), dtype, new long[] {inter, h}));
        specs.add(new TensorSpec(n.expertDown(l, e), dtype, new long[] {h, inter}));
        specs.add(new TensorSpec(n.expertUp(l, e), dtype, new long[] {inter, h}));
      }
      specs.add(new TensorSpec(n.inputNorm(l), dtype, new long[] {h}));
      specs.add(new TensorSpec(n.postAttentionNorm(l), dtype, new long[] {h}));
    }
    specs.add(new TensorSpec(n.finalNorm(), dtype, new long[] {h}));
    if (!config.tieWordEmbeddings()) {
      specs.add(new TensorSpec(n.lmHead(), dtype, new long[] {config.vocabSize(), h}));
    }
    return specs;
  }

  /** Total bytes of weights the checkpoint will hold. */
  public long weightBytes() {
    return tensors().stream().mapToLong(s -> s.elementCount() * s.dtype().byteSize()).sum();
  }

  /**
   * Writes the checkpoint into {@code dir} (created if needed; existing files of the same names are replaced).
   */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    String torchDtype = dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16" : "float32";
    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), config.toJson(torchDtype), StandardCharsets.UTF_8);
    int[] eos = config.eosTokenIds();
    Files.writeString(dir.resolve("generation_config.json"),
        "{\n  \"bos_token_id\": " + config.bosTokenId() + ",\n  \"eos_token_id\": " + eos[0] + "\n}\n",
        StandardCharsets.UTF_8);
    SyntheticTokenizer.write(dir, config.vocabSize());
    String normSuffix = "layernorm.weight";
    CheckpointWriter.write(dir, tensors(), shardBytes, new TensorSource() {
      private String current;
      private SplittableRandom random;
      private float bound;
      private boolean norm;

      @Override
      public void fill(TensorSpec spec, long firstElement, float[] dst, int count) {
        if (!spec.name().equals(current) || firstElement == 0) {
          current = spec.name();
          random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + spec.name().hashCode());
          long[] shape = spec.shape();
          norm = shape.length == 1 || spec.name().endsWith(normSuffix);
          long fanIn = shape[shape.length - 1];
          // Uniform on [-b, b] has variance b²/3: b = sqrt(3 / fan_in) gives variance 1 / fan_in. Embeddings are
          // looked up, not multiplied, so they get unit variance.
          bound = spec.name().equals(config.architecture().weightNames().embedding())
              ? (float) Math.sqrt(3.0) : (float) Math.sqrt(3.0 / fanIn);
        }
        for (int i = 0; i < count; i++) {
          dst[i] = norm ? 1f + 0.1f * (float) (random.nextDouble() - 0.5) : bound * (float) (2 * random.nextDouble() - 1);
        }
      }
    }, progress);
  }
}
