package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import dev.ringmoe.config.ModelConfig;
import java.util.Arrays;

/**
 * The float32 key/value cache of one sequence: for every layer, the rotated keys and the values of
 * every position seen so far, [position][kvHeads * headDim]. Kept in float32 because half-precision
 * caches flip near-tied expert choices and so change outputs.
 *
 * <p>Grows by doubling up to its maximum positions: the model's {@code max_position_embeddings}, or
 * fewer when a streaming store's budget reserved room for fewer ({@link StoreOptions#kvPositions}).
 * Its bytes ({@link #bytes(ModelConfig, int)}) are on the Java heap, not in native memory; a
 * streaming store still counts them in its one budget, because they are memory the process holds
 * for the model. Not thread-safe: one sequence, one decoding thread.
 */
public final class KvCache {
  private final int layers;
  private final int width;
  private final int maxPositions;
  private final float[][] keys;
  private final float[][] values;
  private final String limit;
  private int length;

  /**
   * @param width kvHeads * headDim
   * @param maxPositions the most positions the cache may hold
   */
  public KvCache(int layers, int width, int maxPositions) {
    this(layers, width, maxPositions, "the model's maximum of %d (max_position_embeddings)");
  }

  /**
   * A cache for {@code config}'s model holding at most {@code maxPositions} positions; {@code
   * limit} names that limit in the error a longer sequence gets (a format with one {@code %d}).
   */
  static KvCache of(ModelConfig config, int maxPositions, String limit) {
    return new KvCache(config.layers(), width(config), maxPositions, limit);
  }

  /**
   * The bytes a cache of {@code config}'s model holds at {@code positions} positions (keys and
   * values of every layer, float32).
   */
  public static long bytes(ModelConfig config, int positions) {
    return 2L * Float.BYTES * config.layers() * width(config) * positions;
  }

  private static int width(ModelConfig config) {
    return config.kvHeads() * config.headDim();
  }

  private KvCache(int layers, int width, int maxPositions, String limit) {
    Preconditions.checkArgument(
        layers > 0 && width > 0 && maxPositions > 0, "bad cache dimensions");
    this.layers = layers;
    this.width = width;
    this.maxPositions = maxPositions;
    this.limit = limit;
    this.keys = new float[layers][];
    this.values = new float[layers][];
    int initial = Math.min(maxPositions, 64);
    for (int l = 0; l < layers; l++) {
      keys[l] = new float[initial * width];
      values[l] = new float[initial * width];
    }
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
        values[l] = Arrays.copyOf(values[l], grown * width);
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
