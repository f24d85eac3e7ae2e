package dev.ringmoe.server;

/**
 * A request the server refuses, carrying what OpenAI's error object says: the HTTP status, the
 * error type, the offending parameter (or null) and a machine-readable code (or null).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final String param;
  private final String code;

  ApiException(int status, String type, String param, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 invalid_request_error naming {@code param}. */
  static ApiException badRequest(String param, String message) {
    return new ApiException(400, "invalid_request_error", param, null, message);
  }

  static ApiException badRequest(String param, String code, String message) {
    return new ApiException(400, "invalid_request_error", param, code, message);
  }

  static ApiException notFound(String param, String code, String message) {
    return new ApiException(404, "invalid_request_error", param, code, message);
  }

  /** 503: the queue is full or the server is stopping; the client may retry. */
  static ApiException unavailable(String message) {
    return new ApiException(503, "server_error", null, "server_busy", message);
  }

  static ApiException internal(String message) {
    return new ApiException(500, "server_error", null, null, message);
  }

  int status() {
    return status;
  }

  String type() {
    return type;
  }

  String param() {
    return param;
  }

  String code() {
    return code;
  }
}
