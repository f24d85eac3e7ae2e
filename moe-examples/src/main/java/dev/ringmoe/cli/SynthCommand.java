package dev.ringmoe.cli;

import dev.ringmoe.ByteSizes;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.EncoderDecoderConfig;
import dev.ringmoe.config.GroupRouting;
import dev.ringmoe.config.MlaConfig;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.family.SwitchTransformersFamily;
import dev.ringmoe.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ringmoe synth}: writes a random-weight checkpoint of any supported family in the Hugging
 * Face layout.
 */
final class SynthCommand implements Command {
  @Override
  public String name() {
    return "synth";
  }

  @Override
  public String summary() {
    return "write a random-weight checkpoint of any family (config, shards, index, tokenizer)";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe synth --out DIR\n"
        + "                     [--arch mixtral|qwen2_moe|qwen3_moe|olmoe|deepseek_v2|deepseek_v3|\n"
        + "                             gpt_oss|switch_transformers]\n"
        + "                     [--layers N] [--hidden N]\n"
        + "                     [--heads N] [--kv-heads N] [--head-dim N] [--experts N] [--top-k N]\n"
        + "                     [--intermediate N] [--vocab N] [--dtype bf16|f16|f32] [--shard-size SIZE] [--seed S]\n"
        + "                     [--dense-layers I,J] [--dense-intermediate N] [--shared-intermediate N]\n"
        + "                     [--sliding-window N] [--force]\n\n"
        + "--arch takes a model_type or an architectures name (default mixtral). --intermediate is each expert's\n"
        + "width; qwen2_moe and qwen3_moe layers listed in --dense-layers get a dense MLP of --dense-intermediate\n"
        + "(default 4 x --intermediate); qwen2_moe has a shared expert of --shared-intermediate (default\n"
        + "2 x --intermediate). The family fixes the rest (q/k norms, biases, shared expert gate, sinks, YaRN).\n"
        + "gpt_oss alternates --sliding-window (default 128) and full attention layers.\n"
        + "deepseek_v2/deepseek_v3: multi-head latent attention of --q-lora-rank (0: none; v2 default 0, v3 64),\n"
        + "--kv-lora-rank (32), --qk-nope-dim (32), --qk-rope-dim (16), --v-head-dim (32) (--kv-heads and\n"
        + "--head-dim do not apply); --dense-layers must be the first layers (default 0, first_k_dense_replace);\n"
        + "--shared-intermediate a multiple of --intermediate (n_shared_experts; default 2 x); the gate's\n"
        + "--groups (n_group, default 1), --topk-group (default --groups) and --routed-scaling (v2 1, v3 2.5).\n"
        + "switch_transformers (encoder-decoder): --layers is the encoder's depth, --decoder-layers the decoder's\n"
        + "(default --layers), --sparse-layers the sparse layers per stack (default half), --intermediate is d_ff,\n"
        + "--head-dim d_kv, --capacity the expert capacity (default 64), --tie ties the LM head to the embedding;\n"
        + "top-1 routing, one head per key (no --kv-heads).\n"
        + "Streams weights to disk, so checkpoints of many GB need little memory. Defaults: 4 layers, hidden 256,\n"
        + "8 heads / 4 KV heads, 8 experts top-2, intermediate 512, vocab 1000, bf16, 2GB shards, seed 1234.\n"
        + "SIZE takes units: 500MB, 2GiB, ...\n\n"
        + "  --out DIR    where to write; must be new or empty, unless --force\n"
        + "  --force      write into a non-empty DIR: its *.safetensors shards and model.safetensors.index.json are\n"
        + "               deleted first (so no stale shard mixes with the new ones); the other checkpoint files\n"
        + "               (config.json, tokenizer files, generation_config.json) are overwritten\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of(
        "out",
        "layers",
        "hidden",
        "heads",
        "kv-heads",
        "experts",
        "top-k",
        "intermediate",
        "vocab",
        "dtype",
        "shard-size",
        "seed",
        "head-dim",
        "rope-theta",
        "max-positions",
        "arch",
        "dense-layers",
        "dense-intermediate",
        "shared-intermediate",
        "q-lora-rank",
        "kv-lora-rank",
        "qk-nope-dim",
        "qk-rope-dim",
        "v-head-dim",
        "groups",
        "topk-group",
        "routed-scaling",
        "sliding-window",
        "decoder-layers",
        "sparse-layers",
        "capacity");
  }

  @Override
  public Set<String> flags() {
    return Set.of("force", "tie");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    Path dir = args.path("out");
    ModelConfig config;
    try {
      Architecture arch = architecture(args.string("arch", "mixtral"));
      int intermediate = args.integer("intermediate", 512);
      if (arch.name().equals(SwitchTransformersFamily.ARCHITECTURE)) {
        config = switchConfig(args, intermediate);
      } else {
        config = decoderConfig(args, arch, intermediate);
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException("ringmoe synth: " + e.getMessage().replace("<builder>: ", ""));
    }
    return write(args, dir, config, out, err);
  }

  private static ModelConfig switchConfig(Args args, int intermediate) {
    int encoder = args.integer("layers", 4);
    int decoder = args.integer("decoder-layers", encoder);
    int sparse = args.integer("sparse-layers", Math.max(1, encoder / 2));
    int heads = args.integer("heads", 8);
    int hidden = args.integer("hidden", 256);
    int headDim = args.integer("head-dim", 0);
    return SwitchTransformersFamily.builder(
            new EncoderDecoderConfig(encoder, decoder, 32, 128, 0, args.integer("capacity", 64)),
            Math.min(sparse, encoder),
            Math.min(sparse, decoder))
        .hiddenSize(hidden)
        .heads(heads)
        .kvHeads(heads)
        .headDim(headDim > 0 ? headDim : hidden / heads)
        .experts(args.integer("experts", 8))
        .intermediateSize(intermediate)
        .denseIntermediateSize(intermediate)
        .vocabSize(args.integer("vocab", 1000))
        .tieWordEmbeddings(args.has("tie"))
        .build();
  }

  private static ModelConfig decoderConfig(Args args, Architecture arch, int intermediate) {
    ModelConfig config;
    {
      ModelConfig.Builder b = ModelConfig.builder(arch);
      if (!arch.name().equals(Architecture.MIXTRAL.name())
          && !arch.name().equals(Architecture.OLMOE.name())
          && !arch.name().equals(Architecture.GPT_OSS.name())) {
        b.denseIntermediateSize(args.integer("dense-intermediate", 4 * intermediate))
            .denseLayers(layerList(args.string("dense-layers", "")));
      }
      if (arch.name().equals(Architecture.QWEN2_MOE.name())) {
        b.sharedExpertIntermediateSize(args.integer("shared-intermediate", 2 * intermediate));
      }
      int layers = args.integer("layers", 4);
      // families with multi-head latent attention (DeepSeek) configure it by default
      if (ModelConfig.builder(arch).build().mla() != null) {
        deepseek(arch, args, b, intermediate);
      }
      if (arch.name().equals(Architecture.GPT_OSS.name())) {
        // as Hugging Face's GptOssConfig: sliding and full attention alternate
        b.slidingWindow(args.integer("sliding-window", 128))
            .fullAttentionLayers(
                java.util.stream.IntStream.range(0, layers).filter(l -> l % 2 == 1).toArray());
      }
      config =
          b.layers(layers)
              .hiddenSize(args.integer("hidden", 256))
              .heads(args.integer("heads", 8))
              .kvHeads(args.integer("kv-heads", 4))
              .headDim(args.integer("head-dim", 0))
              .experts(args.integer("experts", 8))
              .topK(args.integer("top-k", 2))
              .intermediateSize(intermediate)
              .vocabSize(args.integer("vocab", 1000))
              .ropeTheta(args.decimal("rope-theta", 1e6))
              .maxPositions(args.integer("max-positions", 2048))
              .build();
    }
    return config;
  }

  private int write(Args args, Path dir, ModelConfig config, PrintStream out, PrintStream err)
      throws IOException {
    if (config.vocabSize() < 259) {
      throw new UsageException(
          "ringmoe synth: --vocab must be at least 259 (3 special tokens and 256 byte tokens)");
    }
    DType dtype = dtype(args.string("dtype", "bf16"));
    SyntheticCheckpoint synth =
        SyntheticCheckpoint.of(config)
            .dtype(dtype)
            .shardBytes(args.bytes("shard-size", 2L << 30))
            .seed(args.longValue("seed", 1234));
    prepare(dir, args.has("force"));
    long total = synth.weightBytes();
    err.printf(
        "writing %s (%s, %s of weights) to %s%n", config, dtype, ByteSizes.format(total), dir);
    try (Progress progress = new Progress(err, total)) {
      synth.progress(progress::update).write(dir);
    }
    out.println(dir);
    return 0;
  }

  /** DeepSeek-V2/V3's own options: the MLA shape, the dense prefix, shared experts, the gate. */
  private static void deepseek(
      Architecture arch, Args args, ModelConfig.Builder b, int intermediate) {
    boolean v3 = arch.name().equals(Architecture.DEEPSEEK_V3.name());
    int[] dense = layerList(args.string("dense-layers", "0"));
    for (int i = 0; i < dense.length; i++) {
      if (dense[i] != i) {
        throw new UsageException(
            "ringmoe synth: --dense-layers of "
                + arch.modelType()
                + " must be the first layers (0,1,..: first_k_dense_replace)");
      }
    }
    b.denseLayers(dense);
    int shared = args.integer("shared-intermediate", 2 * intermediate);
    if (shared % intermediate != 0) {
      throw new UsageException(
          "ringmoe synth: --shared-intermediate must be a multiple of --intermediate"
              + " (n_shared_experts experts of moe_intermediate_size)");
    }
    b.sharedExpertIntermediateSize(shared);
    b.mla(
        new MlaConfig(
            args.integer("q-lora-rank", v3 ? 64 : 0),
            args.integer("kv-lora-rank", 32),
            args.integer("qk-nope-dim", 32),
            args.integer("qk-rope-dim", 16),
            args.integer("v-head-dim", 32),
            true,
            v3));
    int groups = args.integer("groups", 1);
    b.groupRouting(
        new GroupRouting(
            groups,
            args.integer("topk-group", groups),
            args.decimal("routed-scaling", v3 ? 2.5 : 1.0),
            v3));
  }

  /** A family by its {@code model_type} or {@code architectures} name. */
  static Architecture architecture(String name) {
    for (Architecture a : Architecture.supported()) {
      if (a.name().equals(name) || a.modelType().equals(name)) {
        return a;
      }
    }
    throw new UsageException(
        "ringmoe synth: --arch must be one of "
            + Architecture.supported().stream()
                .map(Architecture::modelType)
                .collect(java.util.stream.Collectors.joining(", "))
            + ", was '"
            + name
            + "'");
  }

  private static int[] layerList(String text) {
    if (text.isBlank()) {
      return new int[0];
    }
    try {
      return java.util.Arrays.stream(text.split(","))
          .map(String::trim)
          .mapToInt(Integer::parseInt)
          .toArray();
    } catch (NumberFormatException e) {
      throw new UsageException(
          "ringmoe synth: --dense-layers must be layer numbers separated by commas, was '"
              + text
              + "'");
    }
  }

  /**
   * Refuses to write into an existing file or a non-empty directory unless {@code force}: writing
   * over an existing checkpoint would silently replace some of its files and leave others. With
   * {@code force}, the old weight files are deleted first.
   */
  static void prepare(Path dir, boolean force) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException("ringmoe synth: --out " + dir + " is a file, not a directory");
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      if (!entries.iterator().hasNext()) {
        return;
      }
    }
    if (!force) {
      throw new UsageException(
          "ringmoe synth: --out "
              + dir
              + " is not empty; choose a new directory, or pass"
              + " --force to write over the checkpoint there");
    }
    try (DirectoryStream<Path> weights = Files.newDirectoryStream(dir, "*.safetensors")) {
      for (Path file : weights) {
        Files.delete(file);
      }
    }
    Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
  }

  static DType dtype(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "bf16":
      case "bfloat16":
        return DType.BF16;
      case "f16":
      case "fp16":
      case "float16":
        return DType.F16;
      case "f32":
      case "fp32":
      case "float32":
        return DType.F32;
      default:
        throw new UsageException(
            "ringmoe synth: --dtype must be bf16, f16 or f32, was '" + name + "'");
    }
  }
}
