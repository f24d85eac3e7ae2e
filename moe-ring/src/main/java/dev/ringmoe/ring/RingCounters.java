package dev.ringmoe.ring;

import dev.ringmoe.RingStats;
import java.util.concurrent.atomic.AtomicLong;

/** The ring's running totals, written by the compute and copy threads; thread-safe. */
final class RingCounters {
  final AtomicLong tokens = new AtomicLong();
  final AtomicLong passes = new AtomicLong();
  final AtomicLong storageBytes = new AtomicLong();
  final AtomicLong hostBytes = new AtomicLong();
  final AtomicLong deviceBytes = new AtomicLong();
  final AtomicLong copies = new AtomicLong();
  final AtomicLong copyNanos = new AtomicLong();
  final AtomicLong stallNanos = new AtomicLong();
  final AtomicLong computeNanos = new AtomicLong();
  final AtomicLong hits = new AtomicLong();
  final AtomicLong misses = new AtomicLong();
  final AtomicLong unused = new AtomicLong();

  void reset() {
    for (AtomicLong a :
        new AtomicLong[] {
          tokens,
          passes,
          storageBytes,
          hostBytes,
          deviceBytes,
          copies,
          copyNanos,
          stallNanos,
          computeNanos,
          hits,
          misses,
          unused
        }) {
      a.set(0);
    }
  }

  RingStats snapshot(SectionPlan plan, DeviceMemory memory) {
    return snapshot(memory, plan.residentBytes(), plan.slots(), plan.slotBytes());
  }

  RingStats snapshot(DeviceMemory memory, long residentBytes, int slots, long slotBytes) {
    return new RingStats(
        tokens.get(),
        passes.get(),
        storageBytes.get(),
        hostBytes.get(),
        deviceBytes.get(),
        copies.get(),
        copyNanos.get(),
        stallNanos.get(),
        computeNanos.get(),
        memory.budget(),
        memory.peak(),
        residentBytes,
        slots,
        slotBytes,
        hits.get(),
        misses.get(),
        unused.get());
  }
}
