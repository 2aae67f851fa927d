package io.meridian.core;

/**
 * An operation that is well-formed but cannot be applied to the key's current state, such as an
 * increment that would take a counter past 64 bits. Nothing was written.
 */
public final class OperationRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the operation was refused; each maps to one problem type. */
  public enum Reason {
    COUNTER_OVERFLOW
  }

  private final Reason reason;

  public OperationRejectedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
