package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.Eviction;
import dev.ringmoe.config.Architecture;
import dev.ringmoe.config.ModelConfig;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The expert cache's eviction policies, alone and replayed over recorded routing against Belady's
 * optimal replacement ({@link BeladyCache#misses(int, CachePolicy)}).
 */
class CachePolicyTest {
  @Test
  void lfuKeepsThePopularExpertThatLruWouldEvict() {
    CachePolicy lfu = CachePolicy.decayedLfu(1e9);
    for (long k = 1; k <= 3; k++) {
      lfu.inserted(k);
      lfu.used(k);
    }
    lfu.used(1);
    lfu.used(1);
    lfu.used(2);
    lfu.used(3); // 3 is the most recent; 2 and 3 are used twice, 1 three times
    assertEquals(2, lfu.victim(k -> true), "fewest uses, least recent among them");
    assertEquals(3, lfu.victim(k -> k != 2));
    assertEquals(-1, lfu.victim(k -> false));
    // A prediction is not a use (as a use, two would make 2 the most used).
    lfu.predicted(2);
    lfu.predicted(2);
    assertEquals(2, lfu.victim(k -> true));
    // Uses survive eviction: expert 1 comes back with its count.
    lfu.removed(1);
    lfu.inserted(1);
    assertEquals(2, lfu.victim(k -> true));
  }

  @Test
  void decayAgesOldFavouritesOut() {
    CachePolicy lfu = CachePolicy.decayedLfu(4);
    lfu.inserted(1);
    lfu.inserted(2);
    for (int i = 0; i < 10; i++) {
      lfu.used(1); // a favourite
    }
    for (int i = 0; i < 40; i++) {
      lfu.used(2); // then the topic changes: 1's ten uses are 40 uses old, worth 10 * 2^-10
    }
    assertEquals(1, lfu.victim(k -> true));
    assertThrows(IllegalArgumentException.class, () -> CachePolicy.decayedLfu(0));
  }

  @Test
  void theModelsPolicyFollowsTheOption() {
    ModelConfig c =
        ModelConfig.builder(Architecture.MIXTRAL)
            .hiddenSize(32)
            .layers(2)
            .heads(2)
            .kvHeads(1)
            .experts(4)
            .topK(2)
            .intermediateSize(16)
            .vocabSize(50)
            .build();
    CachePolicy lru = CachePolicy.of(Eviction.LRU, c);
    CachePolicy lfu = CachePolicy.of(Eviction.LFU, c);
    for (CachePolicy p : new CachePolicy[] {lru, lfu}) {
      p.inserted(1);
      p.used(1);
      p.used(1);
      p.inserted(2);
      p.used(2);
    }
    assertEquals(1, lru.victim(k -> true));
    assertEquals(2, lfu.victim(k -> true));
  }

  /**
   * Replayed over the same accesses, no online policy loads fewer experts than Belady's MIN; on
   * routing with popular experts (a skewed distribution, as trained routers have) LFU loads fewer
   * than LRU; and everything fits means one load per distinct expert for any policy.
   */
  @Test
  void replayedPoliciesAgainstBelady() {
    SplittableRandom random = new SplittableRandom(11);
    BeladyCache trace = new BeladyCache();
    int layers = 4;
    int experts = 32;
    for (int token = 0; token < 200; token++) {
      for (int l = 0; l < layers; l++) {
        int[] chosen = new int[2];
        for (int i = 0; i < 2; i++) {
          // Zipf-like: expert e with probability ~ 1 / (e + 1)
          double u = random.nextDouble();
          chosen[i] = (int) Math.min(experts - 1, Math.floor(Math.pow(experts + 1, u)) - 1);
        }
        trace.access(token >= 20, l, chosen);
      }
    }
    for (int capacity : new int[] {8, 16, 40, 64}) {
      long min = trace.misses(capacity);
      long lru = trace.misses(capacity, CachePolicy.lru());
      long lfu = trace.misses(capacity, CachePolicy.decayedLfu(64.0 * layers * 2));
      assertTrue(min <= lru && min <= lfu, capacity + ": " + min + " " + lru + " " + lfu);
      assertTrue(lfu < lru, capacity + ": lfu " + lfu + " lru " + lru);
    }
    BeladyCache small = new BeladyCache().access(0, 1, 2).access(1, 1).access(0, 2, 3);
    assertEquals(4, small.misses(10, CachePolicy.lru()));
    assertEquals(4, small.misses(10, CachePolicy.decayedLfu(8)));
    assertEquals(4, small.misses(10));
  }
}
