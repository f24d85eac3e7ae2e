package dev.ringmoe.generate;

import com.google.common.base.Preconditions;
import java.util.List;

/**
 * How to pick each next token and when to stop. Greedy by default; sampling when a temperature
 * above zero is set, optionally restricted to the {@code topK} most likely tokens, to the smallest
 * set whose probability reaches {@code topP} and to the tokens at least {@code minP} times as
 * likely as the most likely one (Hugging Face's order: temperature, top-k, top-p, min-p). The
 * repetition, presence and frequency penalties change the logits before either greedy or sampling
 * sees them (see {@link Sampler} for the order and formulas). Generation stops at EOS, {@code
 * maxNewTokens}, the model's positions or a {@linkplain Builder#stop(List) stop sequence}. Sampling
 * is reproducible for a given seed.
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
  private final List<String> stop;
  private final double repetitionPenalty;
  private final double presencePenalty;
  private final double frequencyPenalty;
  private final double minP;

  private GenerationOptions(Builder b) {
    this.maxNewTokens = b.maxNewTokens;
    this.temperature = b.temperature;
    this.topK = b.topK;
    this.topP = b.topP;
    this.seed = b.seed;
    this.stopAtEos = b.stopAtEos;
    this.stop = b.stop;
    this.repetitionPenalty = b.repetitionPenalty;
    this.presencePenalty = b.presencePenalty;
    this.frequencyPenalty = b.frequencyPenalty;
    this.minP = b.minP;
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

  /** The stop sequences (unmodifiable, possibly empty); see {@link Builder#stop(List)}. */
  public List<String> stop() {
    return stop;
  }

  /** 1 means no repetition penalty; see {@link Builder#repetitionPenalty(double)}. */
  public double repetitionPenalty() {
    return repetitionPenalty;
  }

  /** 0 means no presence penalty; see {@link Builder#presencePenalty(double)}. */
  public double presencePenalty() {
    return presencePenalty;
  }

  /** 0 means no frequency penalty; see {@link Builder#frequencyPenalty(double)}. */
  public double frequencyPenalty() {
    return frequencyPenalty;
  }

  /** 0 means no min-p restriction; see {@link Builder#minP(double)}. */
  public double minP() {
    return minP;
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  /** Whether any logit penalty is set (repetition, presence or frequency). */
  boolean hasPenalties() {
    return repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0;
  }

  /** The settings that differ from "off", e.g. {@code greedy, max 32, stop ["\n"]}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    if (isGreedy()) {
      s.append("greedy");
    } else {
      s.append("temperature ").append(temperature);
      s.append(", top-k ").append(topK);
      s.append(", top-p ").append(topP);
      if (minP > 0) {
        s.append(", min-p ").append(minP);
      }
      s.append(", seed ").append(seed);
    }
    s.append(", max ").append(maxNewTokens);
    if (repetitionPenalty != 1) {
      s.append(", repetition penalty ").append(repetitionPenalty);
    }
    if (presencePenalty != 0) {
      s.append(", presence penalty ").append(presencePenalty);
    }
    if (frequencyPenalty != 0) {
      s.append(", frequency penalty ").append(frequencyPenalty);
    }
    if (!stop.isEmpty()) {
      s.append(", stop [");
      for (int i = 0; i < stop.size(); i++) {
        s.append(i > 0 ? ", " : "").append(quote(stop.get(i)));
      }
      s.append(']');
    }
    if (!stopAtEos) {
      s.append(", ignoring EOS");
    }
    return s.toString();
  }

  /** A stop string as a Java literal, so that newlines and tabs stay visible in a log line. */
  private static String quote(String text) {
    StringBuilder q = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        case '\t' -> q.append("\\t");
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        default -> q.append(c);
      }
    }
    return q.append('"').toString();
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private int maxNewTokens = 128;
    private double temperature = 0;
    private int topK = 0;
    private double topP = 1.0;
    private long seed = 0;
    private boolean stopAtEos = true;
    private List<String> stop = List.of();
    private double repetitionPenalty = 1;
    private double presencePenalty = 0;
    private double frequencyPenalty = 0;
    private double minP = 0;

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

    /**
     * Strings that end generation when the decoded text produces one (default none; each call
     * replaces the previous list). They are matched on the text, across token boundaries, from the
     * first generated token on (not against the prompt). The stop string and anything after it are
     * never emitted: neither the {@link TokenListener}, nor a {@link TokenStream}, nor {@link
     * GenerationResult#text()} sees them, and text that could still be the start of a stop string
     * is held back until it either completes one or cannot. The result's {@link
     * GenerationResult#generatedIds()} keep every token generated, the one(s) that completed the
     * stop string included (as OpenAI-compatible servers count them); its {@link
     * GenerationResult#stopReason()} is {@link GenerationResult.StopReason#STOP_SEQUENCE}. Stop
     * strings need a tokenizer (a model without one never produces text, so never stops on them).
     *
     * @throws IllegalArgumentException if the list or a string is null or a string is empty
     */
    public Builder stop(List<String> sequences) {
      Preconditions.checkArgument(sequences != null, "stop sequences must not be null");
      for (int i = 0; i < sequences.size(); i++) {
        String s = sequences.get(i);
        Preconditions.checkArgument(s != null, "stop sequence %s is null", i);
        Preconditions.checkArgument(
            !s.isEmpty(),
            "stop sequence %s is empty; a stop sequence needs at least one character",
            i);
      }
      stop = List.copyOf(sequences);
      return this;
    }

    /** As {@link #stop(List)}. */
    public Builder stop(String... sequences) {
      Preconditions.checkArgument(sequences != null, "stop sequences must not be null");
      return stop(java.util.Arrays.asList(sequences));
    }

    /**
     * Hugging Face's repetition penalty (default 1, off): before a token is picked, the logit of
     * every distinct id that occurs in the prompt or among the generated tokens becomes {@code
     * logit / p} if it is positive, else {@code logit * p}. Above 1 it discourages repeats, below 1
     * it encourages them.
     *
     * @throws IllegalArgumentException unless {@code p} is finite and {@code > 0}
     */
    public Builder repetitionPenalty(double p) {
      Preconditions.checkArgument(
          p > 0 && Double.isFinite(p),
          "repetition penalty must be a finite number > 0 (1 = off), was %s",
          p);
      repetitionPenalty = p;
      return this;
    }

    /**
     * OpenAI's presence penalty (default 0, off): {@code p} is subtracted from the logit of every
     * token that occurs at least once among the generated tokens (the prompt does not count).
     *
     * @throws IllegalArgumentException unless {@code p} is in [-2, 2]
     */
    public Builder presencePenalty(double p) {
      Preconditions.checkArgument(
          p >= -2 && p <= 2, "presence penalty must be in [-2, 2] (0 = off), was %s", p);
      presencePenalty = p;
      return this;
    }

    /**
     * OpenAI's frequency penalty (default 0, off): {@code p} times the number of times a token
     * occurs among the generated tokens is subtracted from its logit (the prompt does not count).
     *
     * @throws IllegalArgumentException unless {@code p} is in [-2, 2]
     */
    public Builder frequencyPenalty(double p) {
      Preconditions.checkArgument(
          p >= -2 && p <= 2, "frequency penalty must be in [-2, 2] (0 = off), was %s", p);
      frequencyPenalty = p;
      return this;
    }

    /**
     * Min-p sampling (default 0, off): after temperature, top-k and top-p, tokens whose probability
     * is below {@code p} times the most likely token's are dropped. Applies only when sampling
     * (greedy already takes the most likely token).
     *
     * @throws IllegalArgumentException unless {@code p} is in [0, 1]
     */
    public Builder minP(double p) {
      Preconditions.checkArgument(p >= 0 && p <= 1, "minP must be in [0, 1] (0 = off), was %s", p);
      minP = p;
      return this;
    }

    public GenerationOptions build() {
      return new GenerationOptions(this);
    }
  }
}
