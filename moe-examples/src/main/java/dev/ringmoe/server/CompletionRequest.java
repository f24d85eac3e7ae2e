package dev.ringmoe.server;

import dev.ringmoe.generate.GenerationOptions;

/**
 * One validated generation request, either endpoint: the prompt as token ids and how to generate.
 * Immutable.
 */
final class CompletionRequest {
  /** Which endpoint the request came to; decides the response's shape. */
  enum Kind {
    COMPLETION,
    CHAT
  }

  private final Kind kind;
  private final int[] promptIds;
  private final GenerationOptions options;
  private final boolean stream;
  private final boolean includeUsage;

  CompletionRequest(
      Kind kind, int[] promptIds, GenerationOptions options, boolean stream, boolean includeUsage) {
    this.kind = kind;
    this.promptIds = promptIds.clone();
    this.options = options;
    this.stream = stream;
    this.includeUsage = includeUsage;
  }

  Kind kind() {
    return kind;
  }

  int[] promptIds() {
    return promptIds.clone();
  }

  int promptLength() {
    return promptIds.length;
  }

  GenerationOptions options() {
    return options;
  }

  boolean stream() {
    return stream;
  }

  /** {@code stream_options.include_usage}: a last chunk with the usage counts. */
  boolean includeUsage() {
    return includeUsage;
  }
}
