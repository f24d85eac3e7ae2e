package dev.ringmoe;

/**
 * Which cached expert an expert cache evicts when a new one needs a slot (the layer ring has no
 * choice to make: its slots cycle). Measured against Belady's optimal replacement in {@code
 * docs/benchmarks.md} §9.
 */
public enum Eviction {
  /**
   * The least frequently used expert, its uses decaying with a half-life of 64 tokens' accesses so
   * that a change of topic ages old favourites out; ties to the least recently used. The default:
   * an expert's popularity is a property of the model and the data, which recency alone forgets.
   */
  LFU,
  /** The least recently used expert. */
  LRU
}
