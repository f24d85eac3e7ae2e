package dev.ringmoe;

import java.util.Locale;

/**
 * What a streaming weight store did since the model was built (or since {@link
 * MoeModel#resetStats()}): bytes moved per tier, copies, the time compute waited for copies, how
 * much of the copying overlapped compute, peak device bytes, and prefetch hits and misses. Times
 * are nanoseconds, sizes bytes.
 *
 * <p>An immutable snapshot; thread-safe.
 */
public final class RingStats {
  private final long tokens;
  private final long passes;
  private final long storageBytesRead;
  private final long hostBytesStaged;
  private final long deviceBytesWritten;
  private final long copies;
  private final long copyNanos;
  private final long stallNanos;
  private final long computeNanos;
  private final long deviceBudgetBytes;
  private final long peakDeviceBytes;
  private final long residentBytes;
  private final int slots;
  private final long slotBytes;
  private final long prefetchHits;
  private final long prefetchMisses;
  private final long prefetchUnused;

  /** Creates a snapshot; stores fill it from their counters. */
  public RingStats(
      long tokens,
      long passes,
      long storageBytesRead,
      long hostBytesStaged,
      long deviceBytesWritten,
      long copies,
      long copyNanos,
      long stallNanos,
      long computeNanos,
      long deviceBudgetBytes,
      long peakDeviceBytes,
      long residentBytes,
      int slots,
      long slotBytes,
      long prefetchHits,
      long prefetchMisses,
      long prefetchUnused) {
    this.tokens = tokens;
    this.passes = passes;
    this.storageBytesRead = storageBytesRead;
    this.hostBytesStaged = hostBytesStaged;
    this.deviceBytesWritten = deviceBytesWritten;
    this.copies = copies;
    this.copyNanos = copyNanos;
    this.stallNanos = stallNanos;
    this.computeNanos = computeNanos;
    this.deviceBudgetBytes = deviceBudgetBytes;
    this.peakDeviceBytes = peakDeviceBytes;
    this.residentBytes = residentBytes;
    this.slots = slots;
    this.slotBytes = slotBytes;
    this.prefetchHits = prefetchHits;
    this.prefetchMisses = prefetchMisses;
    this.prefetchUnused = prefetchUnused;
  }

  /** Tokens run through the model (prompt and generated). */
  public long tokens() {
    return tokens;
  }

  /** Forward passes (one per prefill, one per decode step). */
  public long passes() {
    return passes;
  }

  /** Bytes read from the checkpoint files (storage tier). */
  public long storageBytesRead() {
    return storageBytesRead;
  }

  /** Bytes that passed through host staging buffers (host tier). */
  public long hostBytesStaged() {
    return hostBytesStaged;
  }

  /** Bytes written into device slots (float32, after conversion). */
  public long deviceBytesWritten() {
    return deviceBytesWritten;
  }

  /** Section copies made. */
  public long copies() {
    return copies;
  }

  /** Time the copy thread spent copying. */
  public long copyNanos() {
    return copyNanos;
  }

  /** Time compute waited for copies. */
  public long stallNanos() {
    return stallNanos;
  }

  /** Wall time of the forward passes, stalls included. */
  public long computeNanos() {
    return computeNanos;
  }

  /** Share of forward-pass time spent waiting for copies, 0..1. */
  public double stallFraction() {
    return computeNanos == 0 ? 0 : Math.min(1.0, stallNanos / (double) computeNanos);
  }

  /**
   * Share of copy time hidden behind compute: {@code 1 - stall / copy}, 0..1 (1 when nothing was
   * copied).
   */
  public double overlapFraction() {
    return copyNanos == 0 ? 1.0 : Math.max(0.0, 1.0 - stallNanos / (double) copyNanos);
  }

  public long deviceBudgetBytes() {
    return deviceBudgetBytes;
  }

  /** The most device bytes in use at any time (resident weights plus slots). */
  public long peakDeviceBytes() {
    return peakDeviceBytes;
  }

  /**
   * Device bytes of the weights that never move (embedding, LM head, dense layers when they fit).
   */
  public long residentBytes() {
    return residentBytes;
  }

  /** Ring slots K. */
  public int slots() {
    return slots;
  }

  /** Bytes of one slot. */
  public long slotBytes() {
    return slotBytes;
  }

  /**
   * Routed experts that were already loaded or loading because they had been predicted or were
   * resident.
   */
  public long prefetchHits() {
    return prefetchHits;
  }

  /** Routed experts that had to be loaded on demand. */
  public long prefetchMisses() {
    return prefetchMisses;
  }

  /** Prefetched experts that the router did not choose before their slot was reused. */
  public long prefetchUnused() {
    return prefetchUnused;
  }

  /** Hits over routed experts, 0..1. */
  public double hitRate() {
    long routed = prefetchHits + prefetchMisses;
    return routed == 0 ? 1.0 : prefetchHits / (double) routed;
  }

  /** Device bytes written per token. */
  public double bytesPerToken() {
    return tokens == 0 ? 0 : deviceBytesWritten / (double) tokens;
  }

  /** Stall per token, nanoseconds. */
  public double stallNanosPerToken() {
    return tokens == 0 ? 0 : stallNanos / (double) tokens;
  }

  /** These statistics as a JSON object (for {@code --stats-json}). */
  public String toJson() {
    return String.format(
        Locale.ROOT,
        "{\n"
            + "  \"tokens\": %d,\n  \"passes\": %d,\n"
            + "  \"storage_bytes_read\": %d,\n  \"host_bytes_staged\": %d,\n  \"device_bytes_written\": %d,\n"
            + "  \"copies\": %d,\n  \"copy_ns\": %d,\n  \"stall_ns\": %d,\n  \"compute_ns\": %d,\n"
            + "  \"stall_fraction\": %.6f,\n  \"overlap_fraction\": %.6f,\n"
            + "  \"device_budget_bytes\": %d,\n  \"peak_device_bytes\": %d,\n  \"resident_bytes\": %d,\n"
            + "  \"slots\": %d,\n  \"slot_bytes\": %d,\n"
            + "  \"prefetch_hits\": %d,\n  \"prefetch_misses\": %d,\n  \"prefetch_unused\": %d,\n"
            + "  \"hit_rate\": %.6f,\n  \"device_bytes_per_token\": %.1f,\n  \"stall_ns_per_token\": %.1f\n}\n",
        tokens,
        passes,
        storageBytesRead,
        hostBytesStaged,
        deviceBytesWritten,
        copies,
        copyNanos,
        stallNanos,
        computeNanos,
        stallFraction(),
        overlapFraction(),
        deviceBudgetBytes,
        peakDeviceBytes,
        residentBytes,
        slots,
        slotBytes,
        prefetchHits,
        prefetchMisses,
        prefetchUnused,
        hitRate(),
        bytesPerToken(),
        stallNanosPerToken());
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "ring: %d slots x %.1f MB, peak device %.1f MB of %.1f MB budget; %d tokens, %.1f MB moved/token, "
            + "%d copies, stall %.1f%% (overlap %.0f%%), prefetch hit rate %.1f%% (%d hits, %d misses, %d unused)",
        slots,
        slotBytes / 1e6,
        peakDeviceBytes / 1e6,
        deviceBudgetBytes / 1e6,
        tokens,
        bytesPerToken() / 1e6,
        copies,
        100 * stallFraction(),
        100 * overlapFraction(),
        100 * hitRate(),
        prefetchHits,
        prefetchMisses,
        prefetchUnused);
  }
}
