package dev.ringmoe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory from {@code /proc/self/status} (Linux); -1 where that is not
 * available.
 */
final class ProcessMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ProcessMemory() {}

  /** Current resident set size, bytes. */
  static long resident() {
    return field("VmRSS:");
  }

  /** Peak resident set size since the last {@link #resetPeak()}, bytes. */
  static long peak() {
    return field("VmHWM:");
  }

  /**
   * Resets the kernel's peak RSS counter (writes 5 to /proc/self/clear_refs); false where not
   * permitted.
   */
  static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
