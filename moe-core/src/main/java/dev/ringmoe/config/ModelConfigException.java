package dev.ringmoe.config;

import java.io.IOException;
import java.nio.file.Path;

/** A model configuration ({@code config.json}) that is missing, malformed or inconsistent; names the file. */
public class ModelConfigException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public ModelConfigException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The configuration file the problem was found in. */
  public Path file() {
    return file;
  }
}
