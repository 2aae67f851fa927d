package io.meridian.gateway;

/**
 * A request the gateway refuses before touching anything: the problem type (the last segment of
 * {@code /problems/<type>}), HTTP status and a human-readable detail. Thrown by validation on the
 * event loop and turned into {@code application/problem+json} by {@link Problems}.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;

  ApiException(int status, String type, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
  }

  static ApiException badRequest(String type, String detail) {
    return new ApiException(400, type, detail);
  }

  static ApiException tooLarge(String detail) {
    return new ApiException(413, "payload-too-large", detail);
  }

  static ApiException notFound(String detail) {
    return new ApiException(404, "not-found", detail);
  }

  static ApiException preconditionFailed(String detail) {
    return new ApiException(412, "precondition-failed", detail);
  }

  int status() {
    return status;
  }

  String type() {
    return type;
  }
}
