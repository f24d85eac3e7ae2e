package dev.ringmoe.synth;

import com.google.common.base.Preconditions;
import dev.ringmoe.checkpoint.CheckpointWriter;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.checkpoint.TensorSource;
import dev.ringmoe.checkpoint.TensorSpec;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.manifest.Role;
import dev.ringmoe.manifest.Section;
import dev.ringmoe.manifest.StoredSlice;
import dev.ringmoe.manifest.TensorEntry;
import dev.ringmoe.manifest.WeightManifest;
import dev.ringmoe.tokenizer.SyntheticTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Writes a random-weight checkpoint in the Hugging Face layout ({@code config.json}, {@code
 * generation_config.json}, sharded safetensors with their index, and a working {@code
 * tokenizer.json}), streaming to disk so that checkpoints of many GB need little memory. Weights
 * are uniform with the variance of {@code 1/fan_in} (so activations stay of order one through the
 * layers and routing varies between tokens); norms are one. The same seed gives the same bytes.
 *
 * <p>Stateless apart from its settings; not thread-safe while configuring.
 */
public final class SyntheticCheckpoint {
  /** Norm weights are drawn near 1, like trained ones; everything else near 0. */
  private static final Set<Role> NORMS =
      EnumSet.of(
          Role.FINAL_NORM,
          Role.ENCODER_FINAL_NORM,
          Role.CROSS_NORM,
          Role.INPUT_NORM,
          Role.POST_ATTENTION_NORM,
          Role.QUERY_NORM,
          Role.KEY_NORM,
          Role.QUERY_A_NORM,
          Role.KV_A_NORM);

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
    Preconditions.checkArgument(
        dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.F16,
        "synthetic checkpoints store F32, BF16 or F16, not %s",
        dtype);
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

  /**
   * The tensors, in the order they are written: the manifest's sections in order, a stacked tensor
   * (which several entries are {@link dev.ringmoe.manifest.StoredSlice}s of) once, where its first
   * entry is.
   */
  public List<TensorSpec> tensors() {
    List<TensorSpec> specs = new ArrayList<>();
    for (TensorEntry t : entries()) {
      specs.add(
          new TensorSpec(t.name(), dtype, t.slice() != null ? t.slice().storedShape() : t.shape()));
    }
    return specs;
  }

  /** The first manifest entry of each stored tensor. */
  private List<TensorEntry> entries() {
    Map<String, TensorEntry> first = new java.util.LinkedHashMap<>();
    for (Section section : WeightManifest.of(config).sections()) {
      for (TensorEntry t : section.tensors()) {
        if (t.slice() != null && t.slice().encoding() != StoredSlice.Encoding.DENSE) {
          throw new IllegalArgumentException(
              "synthetic checkpoints are written dense, not as " + t.slice().encoding());
        }
        first.putIfAbsent(t.name(), t);
      }
    }
    return new ArrayList<>(first.values());
  }

  /** Total bytes of weights the checkpoint will hold. */
  public long weightBytes() {
    return tensors().stream().mapToLong(s -> s.elementCount() * s.dtype().byteSize()).sum();
  }

  /**
   * Writes the checkpoint into {@code dir} (created if needed; existing files of the same names are
   * replaced).
   */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    String torchDtype =
        dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16" : "float32";
    Files.writeString(
        dir.resolve(ModelConfig.FILE_NAME), config.toJson(torchDtype), StandardCharsets.UTF_8);
    int[] eos = config.eosTokenIds();
    Files.writeString(
        dir.resolve("generation_config.json"),
        "{\n  \"bos_token_id\": "
            + config.bosTokenId()
            + ",\n  \"eos_token_id\": "
            + (eos.length == 0 ? "null" : String.valueOf(eos[0]))
            + "\n}\n",
        StandardCharsets.UTF_8);
    SyntheticTokenizer.write(dir, config.vocabSize());
    Map<String, Role> roles = new HashMap<>();
    Map<String, Long> fanIns = new HashMap<>();
    for (TensorEntry t : entries()) {
      roles.put(t.name(), t.role());
      // the [out, in] entry's input width, also for a stacked tensor stored for x @ W
      long[] shape = t.shape();
      fanIns.put(t.name(), shape[shape.length - 1]);
    }
    CheckpointWriter.write(
        dir,
        tensors(),
        shardBytes,
        new TensorSource() {
          private String current;
          private SplittableRandom random;
          private float bound;
          private boolean norm;

          @Override
          public void fill(TensorSpec spec, long firstElement, float[] dst, int count) {
            if (!spec.name().equals(current) || firstElement == 0) {
              current = spec.name();
              random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + spec.name().hashCode());
              norm = NORMS.contains(roles.get(spec.name()));
              long fanIn = fanIns.get(spec.name());
              // Uniform on [-b, b] has variance b²/3: b = sqrt(3 / fan_in) gives variance 1 /
              // fan_in. Embeddings are
              // looked up, not multiplied, so they get unit variance.
              bound =
                  roles.get(spec.name()) == Role.EMBEDDING
                      ? (float) Math.sqrt(3.0)
                      : (float) Math.sqrt(3.0 / fanIn);
            }
            for (int i = 0; i < count; i++) {
              dst[i] =
                  norm
                      ? 1f + 0.1f * (float) (random.nextDouble() - 0.5)
                      : bound * (float) (2 * random.nextDouble() - 1);
            }
          }
        },
        progress);
  }
}
