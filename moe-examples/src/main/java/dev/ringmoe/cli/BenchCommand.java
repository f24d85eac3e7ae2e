package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.checkpoint.DType;
import dev.ringmoe.config.ModelConfig;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import dev.ringmoe.generate.TokenListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code ringmoe bench}: prefill and decode tokens per second, and decode speed as a fraction of the memory
 * roofline (the machine's read bandwidth, measured in the same run, divided by the weight bytes one decode token
 * reads).
 */
final class BenchCommand implements Command {
  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "measure prefill/decode tokens/s against the memory-bandwidth roofline";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe bench [--model DIR] [--prompt-tokens N] [--decode-tokens N] [--repeats N]\n\n"
        + "  --model DIR         checkpoint to measure; default: a synthetic float32 Mixtral (hidden 512, 8 layers,\n"
        + "                      8/2 heads, 8 experts top-2, intermediate 1792, vocab 1000), synthesized once\n"
        + "  --prompt-tokens N   prompt length for prefill (default 128)\n"
        + "  --decode-tokens N   tokens generated per run (default 128)\n"
        + "  --repeats N         measured runs after one warm-up; the median is reported (default 5)\n\n"
        + "Also measures the memory read bandwidth (the best of a Java read loop on all cores and ND4J's\n"
        + "matrix-vector product, each over 1 GiB) and reports decode speed as a\n"
        + "fraction of bandwidth / (weight bytes one decode token reads).\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of("model", "prompt-tokens", "decode-tokens", "repeats");
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int promptTokens = args.integer("prompt-tokens", 128);
    int decodeTokens = args.integer("decode-tokens", 128);
    int repeats = args.integer("repeats", 5);
    if (promptTokens < 1 || decodeTokens < 2 || repeats < 1) {
      throw new UsageException("ringmoe bench: --prompt-tokens >= 1, --decode-tokens >= 2 and --repeats >= 1");
    }
    Path dir = args.has("model") ? args.path("model")
        : SyntheticModels.ensure("bench-mixtral-f32", SyntheticModels.benchmarkShape(), DType.F32, 1, err);

    int threads = Runtime.getRuntime().availableProcessors();
    err.printf("measuring memory read bandwidth (%d threads, 1 GiB)...%n", threads);
    MemoryBandwidth.Result measured = MemoryBandwidth.measure(threads, 5);
    double bandwidth = measured.best();

    try (MoeModel model = MoeModel.builder().checkpoint(dir).build()) {
      ModelConfig c = model.config();
      if (promptTokens + decodeTokens > c.maxPositions()) {
        throw new UsageException("ringmoe bench: prompt plus decode tokens exceed the model's "
            + c.maxPositions() + " positions");
      }
      int[] prompt = new SplittableRandom(7).ints(promptTokens, 3, c.vocabSize()).toArray();
      GenerationOptions options = GenerationOptions.builder().maxNewTokens(decodeTokens).stopAtEos(false).build();
      err.println("warming up...");
      model.generate(prompt, options, TokenListener.NONE);
      double[] prefill = new double[repeats];
      double[] decode = new double[repeats];
      for (int i = 0; i < repeats; i++) {
        GenerationResult r = model.generate(prompt, options, TokenListener.NONE);
        prefill[i] = r.prefillTokensPerSecond();
        decode[i] = r.decodeTokensPerSecond();
        err.printf("run %d: prefill %.1f tok/s, decode %.1f tok/s%n", i + 1, prefill[i], decode[i]);
      }
      long bytesPerToken = decodeBytesPerToken(c);
      double roofline = bandwidth / bytesPerToken;
      double decodeMedian = median(decode);
      out.printf(Locale.ROOT, "model                      %s%n", c);
      out.printf(Locale.ROOT, "checkpoint                 %s%n", dir);
      out.printf(Locale.ROOT, "memory read bandwidth      %.1f GB/s (best of: Java read %.1f GB/s with %d threads,"
          + " ND4J matrix-vector over 1 GiB %.1f GB/s)%n", bandwidth / 1e9, measured.javaRead() / 1e9, threads,
          measured.nd4jGemv() / 1e9);
      out.printf(Locale.ROOT, "weights read per decode    %.1f MB (dense + top-%d experts + LM head, float32)%n",
          bytesPerToken / 1e6, c.topK());
      out.printf(Locale.ROOT, "decode roofline            %.1f tok/s%n", roofline);
      out.printf(Locale.ROOT, "prefill (%d tokens)        %.1f tok/s (median of %d)%n", promptTokens, median(prefill),
          repeats);
      out.printf(Locale.ROOT, "decode (%d tokens)         %.1f tok/s (median of %d)%n", decodeTokens, decodeMedian,
          repeats);
      out.printf(Locale.ROOT, "decode / roofline          %.2f%n", decodeMedian / roofline);
    }
    return 0;
  }

  /** Float32 weight bytes one decode token reads: every dense weight, top-k experts per layer, the LM head. */
  static long decodeBytesPerToken(ModelConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.heads() * c.headDim();
    long kv = (long) c.kvHeads() * c.headDim();
    long dense = h * q * 2 + h * kv * 2 + (long) c.experts() * h + 2 * h;
    long experts = c.topK() * c.expertParameters();
    return 4L * (c.layers() * (dense + experts) + (long) c.vocabSize() * h + h + h);
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
