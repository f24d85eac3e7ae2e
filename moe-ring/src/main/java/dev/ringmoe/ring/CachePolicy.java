package dev.ringmoe.ring;

import dev.ringmoe.Eviction;
import dev.ringmoe.config.ModelConfig;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.function.LongPredicate;

/**
 * Chooses which cached expert to evict when a new one needs a slot. Keys identify an expert as
 * {@code layer * experts + expert}. The cache tells the policy about every insertion, use and
 * removal, and asks for a victim among the keys it may evict (not in use, not being copied, not
 * predicted for the current pass).
 *
 * <p>Called under the cache's lock; implementations need no synchronisation of their own. A host
 * application may supply its own.
 */
public interface CachePolicy {
  void inserted(long key);

  void used(long key);

  /**
   * {@code key}, cached, is predicted for the current pass (it will probably be used soon, but has
   * not been yet). By default the same as a use.
   */
  default void predicted(long key) {
    used(key);
  }

  void removed(long key);

  /** A key to evict among those {@code evictable} accepts, or -1 if none. */
  long victim(LongPredicate evictable);

  /** Least recently used first (the default). */
  static CachePolicy lru() {
    return new CachePolicy() {
      private final LinkedHashMap<Long, Boolean> order = new LinkedHashMap<>(64, 0.75f, true);

      @Override
      public void inserted(long key) {
        order.put(key, Boolean.TRUE);
      }

      @Override
      public void used(long key) {
        order.get(key);
      }

      @Override
      public void removed(long key) {
        order.remove(key);
      }

      @Override
      public long victim(LongPredicate evictable) {
        for (Long key : order.keySet()) {
          if (evictable.test(key)) {
            return key;
          }
        }
        return -1;
      }
    };
  }

  /**
   * Least frequently used first: every use an expert ever had counts (also before it was last
   * evicted), weighted by {@code 2^-(age / halfLife)}, its age counted in uses of any expert since;
   * ties go to the least recently used. A long half-life is plain LFU; a short one tends to LRU.
   *
   * @param halfLife uses (of all experts together) after which a use counts half
   */
  static CachePolicy decayedLfu(double halfLife) {
    if (!(halfLife > 0)) {
      throw new IllegalArgumentException("half-life must be positive, was " + halfLife);
    }
    return new CachePolicy() {
      /** Per key: {score at the last use, the clock then}. */
      private final HashMap<Long, double[]> uses = new HashMap<>();

      private final LinkedHashMap<Long, Boolean> order = new LinkedHashMap<>(64, 0.75f, true);
      private long clock;

      @Override
      public void inserted(long key) {
        order.put(key, Boolean.TRUE);
      }

      @Override
      public void used(long key) {
        order.get(key);
        clock++;
        double[] u = uses.computeIfAbsent(key, k -> new double[2]);
        u[0] = score(u) + 1;
        u[1] = clock;
      }

      @Override
      public void predicted(long key) {
        order.get(key); // fresher for the tie-break, but a guess is not a use
      }

      /** The score decayed to now. */
      private double score(double[] u) {
        return u[0] * Math.pow(2, -(clock - u[1]) / halfLife);
      }

      @Override
      public void removed(long key) {
        order.remove(key);
      }

      @Override
      public long victim(LongPredicate evictable) {
        long best = -1;
        double bestScore = Double.POSITIVE_INFINITY;
        for (Long key : order.keySet()) { // least recently used first: the first minimum wins ties
          if (evictable.test(key)) {
            double[] u = uses.get(key);
            double s = u == null ? 0 : score(u);
            if (s < bestScore) {
              best = key;
              bestScore = s;
            }
          }
        }
        return best;
      }
    };
  }

  /**
   * The policy {@code eviction} names for {@code config}'s model: {@link Eviction#LFU} with a
   * half-life of 64 tokens' expert uses, or {@link #lru()}.
   */
  static CachePolicy of(Eviction eviction, ModelConfig config) {
    switch (eviction) {
      case LRU:
        return lru();
      case LFU:
        return decayedLfu(64.0 * Math.max(1, config.moeLayers().length) * config.topK());
      default:
        throw new IllegalArgumentException(eviction.toString());
    }
  }
}
