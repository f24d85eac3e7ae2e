package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ModelConfig;
import java.util.Arrays;

/**
 * The float32 key/value cache of one sequence: for every layer, the rotated keys and the values of
 * every position seen so far, [position][kvHeads * headDim]; for multi-head latent attention (MLA)
 * only the "keys" rows, each the token's normalised compressed kv and its rotated key part
 * [position][kv_lora_rank + qk_rope_head_dim], and no values. Kept in float32 because
 * half-precision caches flip near-tied expert choices and so change outputs.
 *
 * <p>Grows by doubling up to its maximum positions: the model's {@code max_position_embeddings}, or
 * fewer when a streaming store's budget reserved room for fewer ({@link StoreOptions#kvPositions}).
 * Its bytes ({@link #bytes(ModelConfig, int)}) are on the Java heap, not in native memory; a
 * streaming store still counts them in its one budget, because they are memory the process holds
 * for the model. Not thread-safe: one sequence, one decoding thread.
 */
public final class KvCache {
  private static final String MODEL_LIMIT = "the model's maximum of %d (max_position_embeddings)";

  private final int layers;
  private final int width;
  private final int valueWidth;
  private final int maxPositions;
  private final float[][] keys;
  private final float[][] values;
  private final String limit;
  private int length;

  /**
   * @param width kvHeads * headDim, of both keys and values
   * @param maxPositions the most positions the cache may hold
   */
  public KvCache(int layers, int width, int maxPositions) {
    this(layers, width, width, maxPositions);
  }

  /**
   * @param keyWidth entries per position of the key rows
   * @param valueWidth entries per position of the value rows (0 for none)
   * @param maxPositions the most positions the cache may hold
   */
  public KvCache(int layers, int keyWidth, int valueWidth, int maxPositions) {
    this(layers, keyWidth, valueWidth, maxPositions, MODEL_LIMIT);
  }

  /**
   * A cache for {@code config}'s model holding at most {@code maxPositions} positions; {@code
   * limit} names that limit in the error a longer sequence gets (a format with one {@code %d}), or
   * is null for the model's own maximum.
   */
  static KvCache of(ModelConfig config, int maxPositions, String limit) {
    String named = limit != null ? limit : MODEL_LIMIT;
    if (config.mla() != null) {
      // MLA keeps the compressed kv and the rotary key part per token, not keys and values
      return new KvCache(config.layers(), config.mla().cachedWidth(), 0, maxPositions, named);
    }
    int width = config.kvHeads() * config.headDim();
    return new KvCache(config.layers(), width, width, maxPositions, named);
  }

  /**
   * The bytes a cache of {@code config}'s model holds at {@code positions} positions (every layer,
   * float32): {@link ModelConfig#kvCacheBytesPerToken()} per position.
   */
  public static long bytes(ModelConfig config, int positions) {
    return config.kvCacheBytesPerToken() * positions;
  }

  private KvCache(int layers, int keyWidth, int valueWidth, int maxPositions, String limit) {
    Preconditions.checkArgument(
        layers > 0 && keyWidth > 0 && valueWidth >= 0 && maxPositions > 0, "bad cache dimensions");
    this.layers = layers;
    this.width = keyWidth;
    this.valueWidth = valueWidth;
    this.maxPositions = maxPositions;
    this.limit = limit;
    this.keys = new float[layers][];
    this.values = new float[layers][];
    int initial = Math.min(maxPositions, 64);
    for (int l = 0; l < layers; l++) {
      keys[l] = new float[initial * width];
      values[l] = new float[initial * valueWidth];
    }
  }

  /** Bytes the cache holds per position, over all layers (float32 keys and values). */
  public long bytesPerPosition() {
    return 4L * layers * (width + valueWidth);
  }

  /** Positions stored (the next token's position). */
  public int length() {
    return length;
  }

  public int maxPositions() {
    return maxPositions;
  }

  /** Forgets every position; keeps the memory for the next sequence. */
  public void clear() {
    length = 0;
  }

  /** Makes room for {@code count} more positions. */
  void reserve(int count) {
    int needed = length + count;
    if (needed > maxPositions) {
      throw new IllegalArgumentException(
          "sequence of " + needed + " positions exceeds " + String.format(limit, maxPositions));
    }
    int capacity = keys[0].length / width;
    if (needed > capacity) {
      int grown = Math.min(maxPositions, Math.max(needed, capacity * 2));
      for (int l = 0; l < layers; l++) {
        keys[l] = Arrays.copyOf(keys[l], grown * width);
        values[l] = Arrays.copyOf(values[l], grown * valueWidth);
      }
    }
  }

  float[] keys(int layer) {
    return keys[layer];
  }

  float[] values(int layer) {
    return values[layer];
  }

  void advance(int count) {
    length += count;
  }
}
