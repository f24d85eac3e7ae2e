package dev.ringmoe.cli;

/** A command line that cannot be run; its message is the one line printed to the user. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
