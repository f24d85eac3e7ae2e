package dev.ringmoe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory from {@code /proc/self/status} and the machine's page cache from
 * {@code /proc/meminfo} (Linux); -1 where that is not available.
 */
final class ProcessMemory {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path MEMINFO = Path.of("/proc/meminfo");

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

  /**
   * The machine's page cache ({@code Cached} in /proc/meminfo), bytes: what reading the checkpoint
   * files through the kernel keeps in memory outside the process.
   */
  static long pageCache() {
    return field(MEMINFO, "Cached:");
  }

  private static long field(String name) {
    return field(STATUS, name);
  }

  /** A {@code Name: N kB} line's value in bytes; -1 if missing or unreadable. */
  static long field(Path file, String name) {
    try {
      for (String line : Files.readAllLines(file)) {
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
