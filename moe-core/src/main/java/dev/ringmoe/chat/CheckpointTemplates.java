package dev.ringmoe.chat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Finds a checkpoint's chat template and special tokens among its tokenizer files. */
final class CheckpointTemplates {

  private CheckpointTemplates() {}

  static Optional<ChatTemplate> load(Path dir) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }
}
