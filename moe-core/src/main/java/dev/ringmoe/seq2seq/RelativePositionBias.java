package dev.ringmoe.seq2seq;

/**
 * T5's bucketed relative position bias, as Hugging Face's {@code _relative_position_bucket}
 * computes it: the offset {@code key - query} goes to one of {@code buckets} buckets (half of them,
 * by sign, when bidirectional as in the encoder; only offsets into the past in the causal decoder),
 * exact for small distances and logarithmic up to {@code maxDistance}; the bucket's learned value
 * per head is added to the attention score. The logarithm is taken in float32, as torch does, so
 * that distances on a bucket boundary fall where Hugging Face puts them.
 *
 * <p>Immutable; the table is the caller's.
 */
final class RelativePositionBias {
  private final float[] table;
  private final int heads;
  private final int buckets;
  private final int maxDistance;
  private final boolean bidirectional;

  /**
   * @param table the learned bias [buckets, heads], row-major
   */
  RelativePositionBias(
      float[] table, int heads, int buckets, int maxDistance, boolean bidirectional) {
    this.table = table;
    this.heads = heads;
    this.buckets = buckets;
    this.maxDistance = maxDistance;
    this.bidirectional = bidirectional;
  }

  /** The bias of head {@code head} for a key at {@code key} seen from a query at {@code query}. */
  float bias(int head, int query, int key) {
    return table[bucket(key - query, bidirectional, buckets, maxDistance) * heads + head];
  }

  /** The bucket of {@code relative = key - query}. */
  static int bucket(int relative, boolean bidirectional, int buckets, int maxDistance) {
    int base = 0;
    int n = buckets;
    int distance;
    if (bidirectional) {
      n /= 2;
      if (relative > 0) {
        base = n;
      }
      distance = Math.abs(relative);
    } else {
      distance = -Math.min(relative, 0);
    }
    int maxExact = n / 2;
    if (distance < maxExact) {
      return base + distance;
    }
    // float32 as in torch: log(distance / max_exact) / log(max_distance / max_exact) * (n -
    // max_exact)
    float log = (float) Math.log((float) distance / maxExact);
    float scale = (float) Math.log((double) maxDistance / maxExact);
    float large = log / scale * (n - maxExact);
    return base + Math.min(maxExact + (int) large, n - 1);
  }
}
