package dev.ringmoe.config;

/**
 * What an encoder-decoder model (T5-style: Switch Transformers) adds to a {@link ModelConfig}: how
 * its layers split into an encoder stack and a decoder stack, its bucketed relative attention bias,
 * the token the decoder starts from, and the per-expert capacity of its top-1 routers.
 *
 * <p>The model's layers are numbered encoder first: layer {@code l < encoderLayers()} is encoder
 * layer {@code l}, layer {@code encoderLayers() + d} is decoder layer {@code d}. The {@link
 * dev.ringmoe.manifest.WeightManifest}, the weight stores and routing traces all use that one
 * numbering, so that the expert cache and the ring stream the experts of both stacks.
 *
 * <p>Immutable and thread-safe.
 */
public final class EncoderDecoderConfig {
  private final int encoderLayers;
  private final int decoderLayers;
  private final int relativeBuckets;
  private final int relativeMaxDistance;
  private final int decoderStartTokenId;
  private final int expertCapacity;

  /**
   * @param relativeBuckets {@code relative_attention_num_buckets}
   * @param relativeMaxDistance {@code relative_attention_max_distance}
   * @param expertCapacity {@code expert_capacity}: the most tokens of one forward call an expert
   *     takes; later tokens routed to it skip the expert (their output is their routing probability
   *     times their input, as Hugging Face computes it)
   */
  public EncoderDecoderConfig(
      int encoderLayers,
      int decoderLayers,
      int relativeBuckets,
      int relativeMaxDistance,
      int decoderStartTokenId,
      int expertCapacity) {
    this.encoderLayers = encoderLayers;
    this.decoderLayers = decoderLayers;
    this.relativeBuckets = relativeBuckets;
    this.relativeMaxDistance = relativeMaxDistance;
    this.decoderStartTokenId = decoderStartTokenId;
    this.expertCapacity = expertCapacity;
  }

  public int encoderLayers() {
    return encoderLayers;
  }

  public int decoderLayers() {
    return decoderLayers;
  }

  /** Whether model layer {@code layer} belongs to the encoder stack. */
  public boolean isEncoderLayer(int layer) {
    return layer < encoderLayers;
  }

  /** The position of model layer {@code layer} within its own stack. */
  public int stackIndex(int layer) {
    return layer < encoderLayers ? layer : layer - encoderLayers;
  }

  public int relativeBuckets() {
    return relativeBuckets;
  }

  public int relativeMaxDistance() {
    return relativeMaxDistance;
  }

  /** The token the decoder's input starts with ({@code decoder_start_token_id}). */
  public int decoderStartTokenId() {
    return decoderStartTokenId;
  }

  public int expertCapacity() {
    return expertCapacity;
  }

  /** Checks the invariants against the rest of the configuration. */
  void validate(java.nio.file.Path where, int layers, int vocabSize) throws ModelConfigException {
    if (encoderLayers < 1 || decoderLayers < 1 || encoderLayers + decoderLayers != layers) {
      throw new ModelConfigException(
          where,
          "num_layers ("
              + encoderLayers
              + ") and num_decoder_layers ("
              + decoderLayers
              + ") must both be at least 1");
    }
    // The decoder's causal buckets use half of them for exact offsets and the encoder's
    // bidirectional ones a quarter: fewer than 4 leaves no exact bucket and divides by log(0).
    if (relativeBuckets < 4) {
      throw new ModelConfigException(
          where, "relative_attention_num_buckets must be at least 4, was " + relativeBuckets);
    }
    if (relativeMaxDistance <= relativeBuckets / 2) {
      throw new ModelConfigException(
          where,
          "relative_attention_max_distance ("
              + relativeMaxDistance
              + ") must exceed half of relative_attention_num_buckets ("
              + relativeBuckets
              + "): the logarithmic buckets divide by log(max_distance / max_exact)");
    }
    if (decoderStartTokenId < 0 || decoderStartTokenId >= vocabSize) {
      throw new ModelConfigException(
          where,
          "decoder_start_token_id "
              + decoderStartTokenId
              + " is outside the vocabulary [0, "
              + vocabSize
              + ")");
    }
    if (expertCapacity < 1) {
      throw new ModelConfigException(
          where, "expert_capacity must be at least 1, was " + expertCapacity);
    }
  }

  @Override
  public String toString() {
    return "encoder "
        + encoderLayers
        + " + decoder "
        + decoderLayers
        + " layers, "
        + relativeBuckets
        + " relative buckets up to "
        + relativeMaxDistance
        + ", expert capacity "
        + expertCapacity;
  }
}
