package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.Eviction;
import dev.ringmoe.Prefetch;
import dev.ringmoe.checkpoint.Storage;
import dev.ringmoe.checkpoint.TensorReader;
import dev.ringmoe.config.ModelConfig;

/**
 * How a streaming {@link WeightStore} should hold the weights: the device memory budget (bytes, or
 * a fraction of the model's float32 weights), the number of ring slots (0 chooses the most the
 * budget holds), what to load ahead, and how the storage tier reads the checkpoint ({@link
 * Storage#MAPPED} by default, or {@link Storage#DIRECT} through a host staging area), and how many
 * positions of one sequence the KV cache gets.
 *
 * <p>One budget covers what the process holds for the model: the device tier (resident weights and
 * slots), direct I/O's host staging area and the KV cache of {@link #kvPositions()} positions all
 * come out of it, and the weights are planned on what is left.
 *
 * <p>Immutable and thread-safe.
 */
public final class StoreOptions {
  private final long deviceBytes;
  private final double deviceFraction;
  private final int slots;
  private final Prefetch prefetch;
  private final ExpertPredictor predictor;
  private final boolean expertCache;
  private final Storage storage;
  private final long stagingBytes;
  private final int kvPositions;
  private final Eviction eviction;

  /**
   * The positions the KV cache is given in the budget unless {@link #withKvPositions} says
   * otherwise (capped at the model's {@code max_position_embeddings}).
   */
  public static final int DEFAULT_KV_POSITIONS = 4096;

  /** Options for the layer ring (see the full constructor). */
  public StoreOptions(
      long deviceBytes,
      double deviceFraction,
      int slots,
      Prefetch prefetch,
      ExpertPredictor predictor) {
    this(deviceBytes, deviceFraction, slots, prefetch, predictor, false);
  }

  /**
   * @param deviceBytes device budget in bytes, or 0 to use {@code deviceFraction}
   * @param deviceFraction device budget as a fraction of the float32 weight bytes (used when
   *     deviceBytes is 0)
   * @param slots ring slots, or 0 for as many as the budget holds
   * @param predictor overrides the predictor implied by {@code prefetch}, or {@code null}
   * @param expertCache whether streamed experts are cached one by one across tokens (an expert
   *     cache under an eviction policy) instead of passing through a ring of whole-layer slots
   */
  public StoreOptions(
      long deviceBytes,
      double deviceFraction,
      int slots,
      Prefetch prefetch,
      ExpertPredictor predictor,
      boolean expertCache) {
    this(
        deviceBytes,
        deviceFraction,
        slots,
        prefetch,
        predictor,
        expertCache,
        Storage.MAPPED,
        TensorReader.DEFAULT_STAGING_BYTES,
        DEFAULT_KV_POSITIONS,
        Eviction.LFU);
  }

  private StoreOptions(
      long deviceBytes,
      double deviceFraction,
      int slots,
      Prefetch prefetch,
      ExpertPredictor predictor,
      boolean expertCache,
      Storage storage,
      long stagingBytes,
      int kvPositions,
      Eviction eviction) {
    Preconditions.checkArgument(
        deviceBytes >= 0, "device memory must be >= 0 bytes, was %s", deviceBytes);
    Preconditions.checkArgument(
        deviceBytes > 0 || (deviceFraction > 0 && deviceFraction <= 1),
        "device memory fraction must be in (0, 1], was %s",
        deviceFraction);
    Preconditions.checkArgument(slots >= 0, "ring slots must be >= 0, was %s", slots);
    this.deviceBytes = deviceBytes;
    this.deviceFraction = deviceFraction;
    this.slots = slots;
    this.prefetch = Preconditions.checkNotNull(prefetch);
    this.predictor = predictor;
    this.expertCache = expertCache;
    this.storage = Preconditions.checkNotNull(storage);
    Preconditions.checkArgument(
        stagingBytes > 0, "staging bytes must be positive, was %s", stagingBytes);
    this.stagingBytes = stagingBytes;
    Preconditions.checkArgument(
        kvPositions > 0, "KV cache positions must be positive, was %s", kvPositions);
    this.kvPositions = kvPositions;
    this.eviction = Preconditions.checkNotNull(eviction);
  }

  /** These options with the storage tier reading by {@code storage}. */
  public StoreOptions withStorage(Storage storage) {
    return new StoreOptions(
        deviceBytes,
        deviceFraction,
        slots,
        prefetch,
        predictor,
        expertCache,
        storage,
        stagingBytes,
        kvPositions,
        eviction);
  }

  /** These options with a host staging area of {@code bytes} for {@link Storage#DIRECT}. */
  public StoreOptions withStagingBytes(long bytes) {
    return new StoreOptions(
        deviceBytes,
        deviceFraction,
        slots,
        prefetch,
        predictor,
        expertCache,
        storage,
        bytes,
        kvPositions,
        eviction);
  }

  /**
   * These options with the KV cache given room for {@code positions} positions of one sequence in
   * the budget (a longer sequence is refused); default {@link #DEFAULT_KV_POSITIONS}.
   */
  public StoreOptions withKvPositions(int positions) {
    return new StoreOptions(
        deviceBytes,
        deviceFraction,
        slots,
        prefetch,
        predictor,
        expertCache,
        storage,
        stagingBytes,
        positions,
        eviction);
  }

  /** These options with the expert cache evicting by {@code eviction} (default LFU). */
  public StoreOptions withEviction(Eviction eviction) {
    return new StoreOptions(
        deviceBytes,
        deviceFraction,
        slots,
        prefetch,
        predictor,
        expertCache,
        storage,
        stagingBytes,
        kvPositions,
        eviction);
  }

  /** How the expert cache picks what to evict ({@link Eviction#LFU} by default). */
  public Eviction eviction() {
    return eviction;
  }

  /**
   * The positions of one sequence the KV cache is given in the budget, before the cap at the
   * model's {@code max_position_embeddings}.
   */
  public int kvPositions() {
    return kvPositions;
  }

  /** The positions the KV cache of {@code config}'s model gets: {@link #kvPositions()}, capped. */
  public int kvPositions(ModelConfig config) {
    return Math.min(kvPositions, config.maxPositions());
  }

  /** The bytes the budget gives the KV cache of {@code config}'s model. */
  public long kvBytes(ModelConfig config) {
    return KvCache.bytes(config, kvPositions(config));
  }

  /** How the storage tier reads the checkpoint (default {@link Storage#MAPPED}). */
  public Storage storage() {
    return storage;
  }

  /**
   * The host staging area for {@link Storage#DIRECT}, in bytes (default {@link
   * TensorReader#DEFAULT_STAGING_BYTES}); see {@link TensorReader#stagingBytes()}.
   */
  public long stagingBytes() {
    return stagingBytes;
  }

  /** Whether experts are cached one by one (see the constructor). */
  public boolean expertCache() {
    return expertCache;
  }

  /** The budget in bytes for a model whose float32 weights take {@code weightBytes}. */
  public long deviceBudget(long weightBytes) {
    return deviceBytes > 0 ? deviceBytes : (long) Math.floor(deviceFraction * weightBytes);
  }

  public int slots() {
    return slots;
  }

  public Prefetch prefetch() {
    return prefetch;
  }

  /**
   * The predictor to use: the explicit one, else the one {@link #prefetch()} implies ({@code null}
   * for NONE).
   */
  public ExpertPredictor predictor() {
    if (predictor != null) {
      return predictor;
    }
    switch (prefetch) {
      case ALL:
        return ExpertPredictor.allExperts();
      case LOOKAHEAD:
        return ExpertPredictor.gateLookahead();
      default:
        return null;
    }
  }

  @Override
  public String toString() {
    return "budget "
        + (deviceBytes > 0
            ? deviceBytes + " bytes"
            : Math.round(deviceFraction * 1000) / 10.0 + "%")
        + (expertCache
            ? ", expert cache (" + eviction + ")"
            : ", slots " + (slots == 0 ? "auto" : slots))
        + ", prefetch "
        + prefetch
        + (storage == Storage.DIRECT ? ", direct I/O (staging " + stagingBytes + " bytes)" : "")
        + ", KV cache "
        + kvPositions
        + " positions";
  }
}
