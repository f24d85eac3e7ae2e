package dev.ringmoe.config;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model configuration ({@code config.json}) that is missing, unreadable, not strict JSON, holds a
 * field of the wrong type or out of range, or is inconsistent. The message starts with the file's
 * path and names the field and the offending value. {@link UnsupportedArchitectureException} is the
 * one subclass.
 */
public class ModelConfigException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public ModelConfigException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /**
   * As {@link #ModelConfigException(Path, String)}, keeping the failure that revealed the problem.
   */
  public ModelConfigException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The configuration file the problem was found in. */
  public Path file() {
    return file;
  }
}
