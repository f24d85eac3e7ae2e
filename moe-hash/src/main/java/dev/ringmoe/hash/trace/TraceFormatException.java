package dev.ringmoe.hash.trace;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A routing trace file that is truncated, malformed or of another format; the message names the
 * file.
 */
public final class TraceFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public TraceFormatException(Path file, String problem) {
    super(file + ": " + problem);
  }
}
