package dev.ringmoe.ring;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The device tier's hard budget: every native allocation for weights (resident arrays and ring
 * slots) is reserved here first, and a reservation past the budget fails. Its peak is what {@link
 * dev.ringmoe.RingStats} reports.
 *
 * <p>Thread-safe. Sizes are bytes.
 */
final class DeviceMemory {
  private final long budget;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();

  DeviceMemory(long budget) {
    this.budget = budget;
  }

  /**
   * Reserves {@code bytes} for {@code what}.
   *
   * @throws IllegalStateException if the budget would be exceeded
   */
  void reserve(long bytes, String what) {
    long now = used.addAndGet(bytes);
    if (now > budget) {
      used.addAndGet(-bytes);
      throw new IllegalStateException(
          "device budget of "
              + budget
              + " bytes exceeded by "
              + what
              + " ("
              + bytes
              + " bytes, "
              + (now - bytes)
              + " already in use)");
    }
    peak.accumulateAndGet(now, Math::max);
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  long budget() {
    return budget;
  }

  long used() {
    return used.get();
  }

  long peak() {
    return peak.get();
  }
}
