package dev.ringmoe.cli;

import dev.ringmoe.ByteSizes;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal stream, redrawn at most ten times a second; on a
 * non-terminal stream it prints a line every 10%.
 */
final class Progress implements AutoCloseable {
  private final PrintStream err;
  private final long total;
  private final long start = System.nanoTime();
  private final boolean terminal = System.console() != null;
  private long lastDraw;
  private int lastDecile = -1;
  private long done;

  Progress(PrintStream err, long total) {
    this.err = err;
    this.total = Math.max(1, total);
  }

  void update(long doneSoFar) {
    done = doneSoFar;
    long now = System.nanoTime();
    if (terminal) {
      if (now - lastDraw > 100_000_000L || done >= total) {
        lastDraw = now;
        err.print("\r" + line());
        err.flush();
      }
    } else {
      int decile = (int) (10 * done / total);
      if (decile != lastDecile) {
        lastDecile = decile;
        err.println(line());
      }
    }
  }

  private String line() {
    double fraction = Math.min(1.0, done / (double) total);
    int width = 30;
    int filled = (int) (fraction * width);
    double seconds = (System.nanoTime() - start) / 1e9;
    double rate = seconds > 0 ? done / seconds : 0;
    return String.format(
        Locale.ROOT,
        "[%s%s] %5.1f%% %s / %s  %s/s",
        "#".repeat(filled),
        " ".repeat(width - filled),
        100 * fraction,
        ByteSizes.format(done),
        ByteSizes.format(total),
        ByteSizes.format((long) rate));
  }

  @Override
  public void close() {
    if (terminal) {
      err.println();
    }
  }
}
