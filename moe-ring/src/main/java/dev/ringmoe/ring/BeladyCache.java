package dev.ringmoe.ring;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Belady's optimal replacement (MIN) over a recorded sequence of expert accesses: the fewest loads
 * that any cache of a given capacity, in experts, could get away with. The reference an expert
 * cache's eviction policy and prefetching are measured against.
 *
 * <p>The sequence is a list of steps; a step is the experts one layer runs for one token (the
 * router's top-k), accessed together: none of them may be evicted while the step loads the others.
 * On a miss with a full cache, MIN evicts the resident expert, not needed by the current step,
 * whose next use is farthest in the future (never used again first). A step that needs more
 * distinct experts than the cache holds is accessed one expert at a time, as a store with too few
 * slots does. The cache starts empty; every load of a counted step is counted, the first ones
 * included, and steps appended as uncounted only warm the cache.
 *
 * <p>Not thread-safe; build the sequence with {@link #access}, then ask {@link #misses(int)} for as
 * many capacities as needed.
 */
public final class BeladyCache {
  private final List<long[]> steps = new ArrayList<>();
  private final List<Boolean> counted = new ArrayList<>();

  /** An empty sequence. */
  public BeladyCache() {}

  /**
   * Appends one step: {@code layer} runs {@code experts} (duplicates count once).
   *
   * @return this, for chaining
   */
  public BeladyCache access(int layer, int... experts) {
    return access(true, layer, experts);
  }

  /**
   * Appends one step whose loads count ({@code counted}) or only warm the cache (a warm-up run, a
   * prefill the measurement subtracts): {@link #misses(int)} counts the loads of counted steps.
   *
   * @return this, for chaining
   */
  public BeladyCache access(boolean counted, int layer, int... experts) {
    Preconditions.checkArgument(layer >= 0, "layer %s < 0", layer);
    this.counted.add(counted);
    long[] keys = new long[experts.length];
    for (int i = 0; i < experts.length; i++) {
      Preconditions.checkArgument(experts[i] >= 0, "expert %s < 0", experts[i]);
      keys[i] = ((long) layer << 32) | experts[i];
    }
    steps.add(Arrays.stream(keys).distinct().toArray());
    return this;
  }

  /** Steps appended so far. */
  public int steps() {
    return steps.size();
  }

  /** Expert accesses appended so far (the sum of the steps' distinct experts). */
  public long accesses() {
    long n = 0;
    for (long[] s : steps) {
      n += s.length;
    }
    return n;
  }

  /**
   * The minimum number of loads for a cache of {@code capacityBytes} holding experts of {@code
   * expertBytes} each ({@code capacityBytes / expertBytes} of them, at least one).
   */
  public long misses(long capacityBytes, long expertBytes) {
    Preconditions.checkArgument(expertBytes > 0, "expert bytes %s <= 0", expertBytes);
    return misses((int) Math.max(1, Math.min(Integer.MAX_VALUE, capacityBytes / expertBytes)));
  }

  /**
   * The minimum number of loads, in the counted steps, for a cache of {@code capacity} experts
   * (replacement is optimal over the whole sequence, uncounted steps included).
   */
  public long misses(int capacity) {
    Preconditions.checkArgument(capacity >= 1, "capacity %s < 1", capacity);
    List<long[]> run = new ArrayList<>(steps.size());
    List<Boolean> runCounted = new ArrayList<>(steps.size());
    for (int i = 0; i < steps.size(); i++) {
      long[] s = steps.get(i);
      if (s.length <= capacity) {
        run.add(s);
        runCounted.add(counted.get(i));
      } else {
        for (long k : s) {
          run.add(new long[] {k});
          runCounted.add(counted.get(i));
        }
      }
    }
    // next[s][i]: the next step after s that needs run.get(s)[i]; Integer.MAX_VALUE if none.
    int[][] next = new int[run.size()][];
    Map<Long, Integer> following = new HashMap<>();
    for (int s = run.size() - 1; s >= 0; s--) {
      long[] step = run.get(s);
      next[s] = new int[step.length];
      for (int i = 0; i < step.length; i++) {
        next[s][i] = following.getOrDefault(step[i], Integer.MAX_VALUE);
      }
      for (long k : step) {
        following.put(k, s);
      }
    }
    // The cache: each resident expert's next use; ordered by next use, farthest last.
    Map<Long, Integer> nextUse = new HashMap<>();
    TreeSet<long[]> byNextUse =
        new TreeSet<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    long misses = 0;
    for (int s = 0; s < run.size(); s++) {
      long[] step = run.get(s);
      // Take the step's resident experts out of the eviction order while it loads the rest.
      int loads = 0;
      for (long k : step) {
        Integer at = nextUse.get(k);
        if (at != null) {
          byNextUse.remove(new long[] {at, k});
        } else {
          loads++;
        }
      }
      if (runCounted.get(s)) {
        misses += loads;
      }
      while (nextUse.size() + loads > capacity) {
        long[] victim = byNextUse.pollLast(); // not empty: the step alone fits
        nextUse.remove(victim[1]);
      }
      for (int i = 0; i < step.length; i++) {
        nextUse.put(step[i], next[s][i]);
        byNextUse.add(new long[] {next[s][i], step[i]});
      }
    }
    return misses;
  }

  /**
   * The loads, in the counted steps, that {@code policy} makes on the same sequence with a cache of
   * {@code capacity} experts loading on demand (no prefetch): what a policy costs against {@link
   * #misses(int)}, from the same recorded routing and without timing noise. A step's experts are
   * not evictable while it loads the rest, as in the store. Keys given to the policy are {@code
   * (layer << 32) | expert}.
   */
  public long misses(int capacity, CachePolicy policy) {
    Preconditions.checkArgument(capacity >= 1, "capacity %s < 1", capacity);
    java.util.Set<Long> cached = new java.util.HashSet<>();
    long misses = 0;
    for (int i = 0; i < steps.size(); i++) {
      long[] step = steps.get(i);
      java.util.Set<Long> current = new java.util.HashSet<>();
      for (long k : step) {
        current.add(k);
      }
      for (long k : step) {
        if (cached.contains(k)) {
          policy.used(k);
          continue;
        }
        if (counted.get(i)) {
          misses++;
        }
        if (cached.size() >= capacity) {
          long victim = policy.victim(v -> !current.contains(v));
          if (victim < 0) {
            victim = policy.victim(v -> true); // a step larger than the cache
          }
          cached.remove(victim);
          policy.removed(victim);
        }
        cached.add(k);
        policy.inserted(k);
        policy.used(k);
      }
    }
    return misses;
  }
}
