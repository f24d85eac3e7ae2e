package dev.ringmoe;

import java.util.Locale;

/** The one way sizes in bytes are printed in messages, plans and progress lines. Stateless. */
public final class ByteSizes {
  private ByteSizes() {}

  /** {@code 1.50 GiB}, {@code 12.3 MiB}, {@code 4.0 KiB}, or exactly {@code 17 B} below 1 KiB. */
  public static String format(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    if (n >= 1L << 10) {
      return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
    return n + " B"; // exact: a 1-byte budget is not "0.0 KiB"
  }
}
