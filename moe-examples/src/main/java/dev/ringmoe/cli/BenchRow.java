package dev.ringmoe.cli;

import dev.ringmoe.RingStats;

/**
 * One configuration {@code ringmoe bench} measured: its settings and results, for the table, the
 * JSON report and the plot. Sizes are bytes; -1 (or NaN for ratios) where not measured.
 */
final class BenchRow {
  /** The table's name of the row. */
  String name;

  /** resident, ring or cache. */
  String store;

  /** The budget as given ("25%", "1GB"); null for the resident model. */
  String budget;

  long budgetBytes = -1;

  /** The prefetch policy or predictor spec; null for the resident model. */
  String policy;

  double prefill;
  double decode;

  /** The store's counters over the measured runs; null for the resident model. */
  RingStats stats;

  double decodeStall = Double.NaN;
  double storageBytesPerToken;
  double hostBytesPerToken;
  double deviceBytesPerToken;
  long peakRss = -1;
  long rssGrowth = -1;
  long pageCacheGrowth = -1;

  /** Prefetched experts never used, as a share of the bytes read from storage. */
  double unusedPrefetchFraction = Double.NaN;

  /** Belady's MIN at this row's cache capacity, storage bytes per decode token (cache rows). */
  double beladyBytesPerToken = Double.NaN;

  /** Storage bytes per decode token over Belady's (cache rows with any Belady load). */
  double overBelady() {
    return beladyBytesPerToken > 0 ? storageBytesPerToken / beladyBytesPerToken : Double.NaN;
  }
}
