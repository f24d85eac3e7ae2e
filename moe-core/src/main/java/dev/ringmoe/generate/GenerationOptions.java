package dev.ringmoe.generate;

import com.google.common.base.Preconditions;

/**
 * How to pick each next token and when to stop. Greedy by default; sampling when a temperature
 * above zero is set, optionally restricted to the {@code topK} most likely tokens and to the
 * smallest set whose probability reaches {@code topP} (Hugging Face's order: temperature, then
 * top-k, then top-p). Sampling is reproducible for a given seed.
 *
 * <p>Immutable and thread-safe.
 */
public final class GenerationOptions {
  private final int maxNewTokens;
  private final double temperature;
  private final int topK;
  private final double topP;
  private final long seed;
  private final boolean stopAtEos;

  private GenerationOptions(Builder b) {
    this.maxNewTokens = b.maxNewTokens;
    this.temperature = b.temperature;
    this.topK = b.topK;
    this.topP = b.topP;
    this.seed = b.seed;
    this.stopAtEos = b.stopAtEos;
  }

  /** Greedy decoding of at most {@code maxNewTokens} tokens, stopping at EOS. */
  public static GenerationOptions greedy(int maxNewTokens) {
    return builder().maxNewTokens(maxNewTokens).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public int maxNewTokens() {
    return maxNewTokens;
  }

  /** 0 means greedy. */
  public double temperature() {
    return temperature;
  }

  /** 0 means no top-k restriction. */
  public int topK() {
    return topK;
  }

  /** 1 means no nucleus restriction. */
  public double topP() {
    return topP;
  }

  public long seed() {
    return seed;
  }

  public boolean stopAtEos() {
    return stopAtEos;
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  @Override
  public String toString() {
    return isGreedy()
        ? "greedy, max " + maxNewTokens
        : "temperature "
            + temperature
            + ", top-k "
            + topK
            + ", top-p "
            + topP
            + ", seed "
            + seed
            + ", max "
            + maxNewTokens;
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private int maxNewTokens = 128;
    private double temperature = 0;
    private int topK = 0;
    private double topP = 1.0;
    private long seed = 0;
    private boolean stopAtEos = true;

    private Builder() {}

    /**
     * Tokens to generate at most (default 128). Any count is accepted, {@link Integer#MAX_VALUE}
     * included: generation also ends at the model's maximum positions, and nothing is allocated by
     * this count.
     */
    public Builder maxNewTokens(int n) {
      Preconditions.checkArgument(n >= 0, "maxNewTokens must be >= 0, was %s", n);
      maxNewTokens = n;
      return this;
    }

    /**
     * Sampling temperature: 0 selects greedy decoding; any finite positive value, however small,
     * samples from {@code softmax(logits / t)} (see {@link Sampler} for how tiny temperatures and
     * non-finite logits are handled).
     */
    public Builder temperature(double t) {
      Preconditions.checkArgument(
          t >= 0 && Double.isFinite(t), "temperature must be a finite number >= 0, was %s", t);
      temperature = t;
      return this;
    }

    public Builder greedy() {
      temperature = 0;
      return this;
    }

    public Builder topK(int k) {
      Preconditions.checkArgument(k >= 0, "topK must be >= 0, was %s", k);
      topK = k;
      return this;
    }

    public Builder topP(double p) {
      Preconditions.checkArgument(p > 0 && p <= 1, "topP must be in (0, 1], was %s", p);
      topP = p;
      return this;
    }

    public Builder seed(long s) {
      seed = s;
      return this;
    }

    /** Whether generation ends at the model's end-of-sequence token (default true). */
    public Builder stopAtEos(boolean stop) {
      stopAtEos = stop;
      return this;
    }

    public GenerationOptions build() {
      return new GenerationOptions(this);
    }
  }
}
