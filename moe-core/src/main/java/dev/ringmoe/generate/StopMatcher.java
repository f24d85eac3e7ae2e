package dev.ringmoe.generate;

import java.util.List;

/**
 * Finds stop sequences in generated text as it grows, holding back the text that could still be the
 * start of one. Invariant: every occurrence of a stop sequence that is not found yet starts inside
 * the held-back text, because the longest suffix of the text that is a prefix of a stop sequence is
 * always held back; so searching the held-back text alone is enough.
 *
 * <p>Not thread-safe: one per generation.
 */
final class StopMatcher {
  private final List<String> stops;
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;

  StopMatcher(List<String> stops) {
    this.stops = stops;
  }

  /**
   * Adds {@code piece} and returns the text that can be released now: all of it when no stop
   * sequence can start in it, the text before a completed stop sequence (then {@link #stopped()} is
   * true and nothing is released afterwards).
   */
  String accept(String piece) {
    if (stopped) {
      return "";
    }
    if (stops.isEmpty()) {
      return piece;
    }
    held.append(piece);
    int first = -1;
    for (String stop : stops) {
      int at = held.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      stopped = true;
      String out = held.substring(0, first);
      held.setLength(0);
      return out;
    }
    int keep = longestStopPrefixSuffix();
    String out = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return out;
  }

  /** Releases what is held back (the generation ended without completing a stop sequence). */
  String flush() {
    String out = held.toString();
    held.setLength(0);
    return out;
  }

  boolean stopped() {
    return stopped;
  }

  /** The length of the longest suffix of the held text that is a proper prefix of a stop. */
  private int longestStopPrefixSuffix() {
    int best = 0;
    int n = held.length();
    for (String stop : stops) {
      for (int len = Math.min(n, stop.length() - 1); len > best; len--) {
        if (held.indexOf(stop.substring(0, len), n - len) == n - len) {
          best = len;
          break;
        }
      }
    }
    return best;
  }
}
