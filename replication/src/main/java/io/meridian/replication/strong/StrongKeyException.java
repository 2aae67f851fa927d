package io.meridian.replication.strong;

import java.util.OptionalLong;

/**
 * A strong-key request that did not succeed. The {@link Reason} decides the HTTP answer (the
 * gateway maps each to one problem type); only {@link Reason#TIMEOUT} leaves the outcome open.
 */
public final class StrongKeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Reason {
    /** The precondition did not hold; nothing was written. */
    PRECONDITION_FAILED,
    /** A delete of a key that does not exist. */
    NOT_FOUND,
    /** No majority could be reached in time and the request was certainly not applied. */
    UNAVAILABLE,
    /** No answer in time after the request may have reached a leader: it may still be applied. */
    TIMEOUT
  }

  private final Reason reason;
  private final long currentRevision;

  private StrongKeyException(Reason reason, String message, long currentRevision) {
    super(message, null, false, false);
    this.reason = reason;
    this.currentRevision = currentRevision;
  }

  static StrongKeyException preconditionFailed(String key, long currentRevision) {
    return new StrongKeyException(
        Reason.PRECONDITION_FAILED,
        currentRevision == 0
            ? "key '" + key + "' does not exist"
            : "key '" + key + "' is at revision " + currentRevision,
        currentRevision);
  }

  static StrongKeyException notFound(String key) {
    return new StrongKeyException(Reason.NOT_FOUND, "key '" + key + "' does not exist", 0);
  }

  static StrongKeyException unavailable(String message) {
    return new StrongKeyException(Reason.UNAVAILABLE, message, 0);
  }

  static StrongKeyException timeout(String message) {
    return new StrongKeyException(Reason.TIMEOUT, message, 0);
  }

  public Reason reason() {
    return reason;
  }

  /** For {@link Reason#PRECONDITION_FAILED}: the key's revision, empty when it does not exist. */
  public OptionalLong currentRevision() {
    return currentRevision > 0 ? OptionalLong.of(currentRevision) : OptionalLong.empty();
  }
}
