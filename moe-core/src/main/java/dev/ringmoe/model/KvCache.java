package dev.ringmoe.model;

import com.google.common.base.Preconditions;
import java.util.Arrays;

/**
 * The float32 key/value cache of one sequence: for every layer, the rotated keys and the values of
 * every position seen so far, [position][kvHeads * headDim]. Kept in float32 because half-precision
 * caches flip near-tied expert choices and so change outputs.
 *
 * <p>Grows by doubling up to the model's maximum positions. Not thread-safe: one sequence, one
 * decoding thread.
 */
public final class KvCache {
  private final int layers;
  private final int width;
  private final int maxPositions;
  private final float[][] keys;
  private final float[][] values;
  private int length;

  /**
   * @param width kvHeads * headDim
   * @param maxPositions the most positions the cache may hold
   */
  public KvCache(int layers, int width, int maxPositions) {
    Preconditions.checkArgument(
        layers > 0 && width > 0 && maxPositions > 0, "bad cache dimensions");
    this.layers = layers;
    this.width = width;
    this.maxPositions = maxPositions;
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
          "sequence of "
              + needed
              + " positions exceeds the model's maximum of "
              + maxPositions
              + " (max_position_embeddings)");
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
