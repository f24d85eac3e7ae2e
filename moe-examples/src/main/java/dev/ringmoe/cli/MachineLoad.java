package dev.ringmoe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether the machine was idle while bench measured: the CPU time that other processes used and the
 * time the hypervisor stole, from {@code /proc/stat} (all CPUs) less this process's own time from
 * {@code /proc/self/stat}, and the 1-minute load average from {@code /proc/loadavg}. Linux only:
 * elsewhere each reading is empty and the report says "not measured".
 */
final class MachineLoad {
  /** Above this share of the machine, or this load average at the start, the run was not idle. */
  static final double BUSY_FRACTION = 0.05;

  static final double BUSY_LOAD_AVERAGE = 0.5;

  private static final Path STAT = Path.of("/proc/stat");
  private static final Path SELF_STAT = Path.of("/proc/self/stat");
  private static final Path LOADAVG = Path.of("/proc/loadavg");
  private static final Path CPUINFO = Path.of("/proc/cpuinfo");

  private MachineLoad() {}

  /** Cumulative CPU times in clock ticks: the machine's and this process's. */
  record Sample(long total, long idle, long steal, long self) {
    /** Machine time busy outside this process. */
    long othersBusy() {
      return total - idle - steal - self;
    }
  }

  /** What happened between two samples, as shares of the machine's time (all CPUs). */
  record Interval(double others, double steal, long ticks) {
    static Optional<Interval> between(Sample start, Sample end) {
      long ticks = end.total - start.total;
      if (ticks <= 0) {
        return Optional.empty();
      }
      return Optional.of(
          new Interval(
              Math.max(0, end.othersBusy() - start.othersBusy()) / (double) ticks,
              Math.max(0, end.steal - start.steal) / (double) ticks,
              ticks));
    }
  }

  /** The machine's and this process's CPU times now; empty without /proc. */
  static Optional<Sample> sample() {
    try {
      return Optional.of(parse(Files.readString(STAT), Files.readString(SELF_STAT)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Parses {@code /proc/stat}'s aggregate {@code cpu} line (user nice system idle iowait irq
   * softirq steal [guest guest_nice], guest time already counted in user) and {@code
   * /proc/self/stat}'s utime and stime (fields 14 and 15, counted after the parenthesized command
   * name, which may hold spaces). I/O wait counts as idle.
   */
  static Sample parse(String procStat, String selfStat) {
    String cpu = null;
    for (String line : procStat.split("\n")) {
      if (line.startsWith("cpu ")) {
        cpu = line;
        break;
      }
    }
    if (cpu == null) {
      throw new IllegalArgumentException("no aggregate cpu line in /proc/stat");
    }
    String[] f = cpu.trim().split("\\s+");
    long[] v = new long[8];
    for (int i = 0; i < v.length && i + 1 < f.length; i++) {
      v[i] = Long.parseLong(f[i + 1]);
    }
    long total = 0;
    for (long x : v) {
      total += x;
    }
    String afterName = selfStat.substring(selfStat.lastIndexOf(')') + 2);
    String[] s = afterName.trim().split("\\s+");
    // afterName starts at field 3 (state); utime is field 14, stime field 15.
    long self = Long.parseLong(s[14 - 3]) + Long.parseLong(s[15 - 3]);
    return new Sample(total, v[3] + v[4], v[7], self);
  }

  /** The 1-minute load average now; empty without /proc. */
  static Optional<Double> loadAverage() {
    try {
      return Optional.of(parseLoadAverage(Files.readString(LOADAVG)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static double parseLoadAverage(String loadavg) {
    return Double.parseDouble(loadavg.trim().split("\\s+")[0]);
  }

  /** The CPU's model name from /proc/cpuinfo; empty where not known. */
  static Optional<String> cpuModel() {
    try {
      return parseCpuModel(Files.readString(CPUINFO));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static Optional<String> parseCpuModel(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
        return Optional.of(line.substring(colon + 1).trim());
      }
    }
    return Optional.empty();
  }

  /** Whether the run counts as not idle. */
  static boolean busy(Optional<Interval> interval, Optional<Double> loadAtStart) {
    return interval.map(i -> i.others() + i.steal() > BUSY_FRACTION).orElse(false)
        || loadAtStart.map(l -> l > BUSY_LOAD_AVERAGE).orElse(false);
  }

  /** The report's lines: the measured shares, and a warning if the machine was busy. */
  static String report(Optional<Interval> interval, Optional<Double> loadAtStart) {
    StringBuilder b = new StringBuilder();
    b.append(
        interval
            .map(
                i ->
                    String.format(
                        Locale.ROOT,
                        "CPU time of other processes during the measurements: %.1f%% of the"
                            + " machine; hypervisor steal: %.1f%%",
                        100 * i.others(),
                        100 * i.steal()))
            .orElse(
                "CPU time of other processes during the measurements: not measured (no"
                    + " /proc/stat)"));
    b.append('\n');
    b.append(
        loadAtStart
            .map(l -> String.format(Locale.ROOT, "1-minute load average at the start: %.2f", l))
            .orElse("1-minute load average at the start: not measured (no /proc/loadavg)"));
    b.append('\n');
    if (busy(interval, loadAtStart)) {
      b.append(
          String.format(
              Locale.ROOT,
              "WARNING: the machine was not idle (more than %.0f%% of its CPU time went to other"
                  + " processes or the hypervisor, or the load average at the start was above"
                  + " %.1f): the speeds above may be low; rerun on an idle machine%n",
              100 * BUSY_FRACTION,
              BUSY_LOAD_AVERAGE));
    }
    return b.toString();
  }
}
