package dev.ringmoe.ring;

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
}
