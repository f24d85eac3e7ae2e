package dev.ringmoe.config;

import java.nio.file.Path;

/**
 * Thrown when a checkpoint's {@code config.json} names an architecture RingMoE cannot run. The
 * message names the file, the architecture and the ones that are supported.
 */
public final class UnsupportedArchitectureException extends ModelConfigException {
  private static final long serialVersionUID = 1L;

  private final String architecture;

  UnsupportedArchitectureException(Path file, String architecture, String supported) {
    // Quoted with escapes: the name comes from the file and may hold control characters.
    super(
        file,
        "architecture "
            + StrictJson.quote(architecture)
            + " is not supported (supported: "
            + supported
            + ")");
    this.architecture = architecture;
  }

  /** The architecture name the configuration asked for, as written in {@code architectures}. */
  public String architecture() {
    return architecture;
  }
}
