package dev.ringmoe.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BeladyCacheTest {
  @Test
  void handExamples() {
    // The classic single-access sequence 1 2 3 4 1 2 5 1 2 3 4 5 with 3 frames: MIN makes 7 loads.
    BeladyCache c = new BeladyCache();
    for (int e : new int[] {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5}) {
      c.access(0, e);
    }
    assertEquals(7, c.misses(3));
    assertEquals(5, c.misses(5), "everything fits: one load per distinct expert");
    assertEquals(12, c.misses(1), "capacity 1: no expert repeats at once, so every access loads");

    // Layers keep experts apart: expert 0 of layer 0 and of layer 1 are two items.
    BeladyCache layers = new BeladyCache().access(0, 0, 1).access(1, 0, 1).access(0, 0, 1);
    assertEquals(4, layers.misses(4));
    assertEquals(6, layers.misses(2), "two slots: every step reloads both");
    // With 3 slots MIN keeps one of layer 0's experts across layer 1's step.
    assertEquals(5, layers.misses(3));
    assertEquals(3, layers.steps());
    assertEquals(6, layers.accesses());
    assertEquals(5, layers.misses(3 * 100L, 100L), "capacity in bytes");
  }

  @Test
  void uncountedStepsWarmTheCacheWithoutCounting() {
    // Warm-up {0,1} {2} uncounted, then {0} {1} {2} {3} counted with 3 slots: the warm cache holds
    // 0, 1 and 2, so only 3 loads (evicting one of the others, never used again).
    BeladyCache c = new BeladyCache();
    c.access(false, 0, 0, 1).access(false, 0, 2);
    c.access(0, 0).access(0, 1).access(0, 2).access(0, 3);
    assertEquals(1, c.misses(3));
    // All counted: 4 loads.
    BeladyCache all = new BeladyCache();
    all.access(0, 0, 1).access(0, 2).access(0, 0).access(0, 1).access(0, 2).access(0, 3);
    assertEquals(4, all.misses(3));
  }

  @Test
  void aStepIsNotEvictedWhileItLoads() {
    // Step {0,1} then {0,2} with 2 slots: 2 must evict 1, not 0 which the step needs, although 0
    // is never used again: 3 loads.
    BeladyCache c = new BeladyCache().access(0, 0, 1).access(0, 0, 2);
    assertEquals(3, c.misses(2));
  }

  @Test
  void aStepLargerThanTheCacheIsAccessedOneByOne() {
    BeladyCache c = new BeladyCache().access(0, 0, 1, 2).access(0, 2);
    assertEquals(3, c.misses(1), "0, 1, 2 one at a time; 2 is still cached");
    assertEquals(3, c.misses(2));
    assertEquals(1, new BeladyCache().access(0, 3, 3).misses(1), "duplicates count once");
  }

  @Test
  void refusesBadArguments() {
    BeladyCache c = new BeladyCache().access(0, 1);
    assertThrows(IllegalArgumentException.class, () -> c.misses(0));
    assertThrows(IllegalArgumentException.class, () -> c.misses(10, 0));
    assertThrows(IllegalArgumentException.class, () -> c.access(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> c.access(0, -2));
  }

  @Test
  void matchesExhaustiveSearchOnSmallRandomSequences() {
    SplittableRandom random = new SplittableRandom(11);
    for (int trial = 0; trial < 400; trial++) {
      int layers = 1 + random.nextInt(2);
      int experts = 2 + random.nextInt(3); // items: at most 2 x 4 = 8
      int topK = 1 + random.nextInt(2);
      int capacity = topK + random.nextInt(3);
      int length = 1 + random.nextInt(10);
      int[][] steps = new int[length][];
      BeladyCache c = new BeladyCache();
      for (int s = 0; s < length; s++) {
        int layer = s % layers;
        int[] chosen = random.ints(0, experts).distinct().limit(Math.min(topK, experts)).toArray();
        c.access(layer, chosen);
        int mask = 0;
        for (int e : chosen) {
          mask |= 1 << (layer * experts + e);
        }
        steps[s] = new int[] {mask};
      }
      long best = bruteForce(steps, 0, 0, capacity, new HashMap<>());
      assertEquals(best, c.misses(capacity), "trial " + trial + " capacity " + capacity);
    }
  }

  /**
   * The fewest loads from step {@code s} on with {@code cache} resident: every choice of which
   * residents to keep (not only the minimal evictions) is tried.
   */
  private static long bruteForce(
      int[][] steps, int s, int cache, int capacity, Map<Long, Long> memo) {
    if (s == steps.length) {
      return 0;
    }
    long key = ((long) s << 32) | cache;
    Long known = memo.get(key);
    if (known != null) {
      return known;
    }
    int need = steps[s][0];
    int loads = Integer.bitCount(need & ~cache);
    int others = cache & ~need;
    int room = capacity - Integer.bitCount(need);
    long best = Long.MAX_VALUE;
    // Every subset of the other residents that fits next to the step.
    for (int keep = others; ; keep = (keep - 1) & others) {
      if (Integer.bitCount(keep) <= room) {
        best = Math.min(best, loads + bruteForce(steps, s + 1, keep | need, capacity, memo));
      }
      if (keep == 0) {
        break;
      }
    }
    memo.put(key, best);
    return best;
  }
}
