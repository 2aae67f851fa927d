package io.meridian.replication;

/**
 * A coordinated operation that did not reach its consistency level. Carries the replica counts so
 * the response can still say {@code X-Meridian-Replicas: acked/required}.
 */
public final class ReplicationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Whether anything may have been written. */
  public enum Reason {
    /** Too few replicas were alive to start; nothing was written. */
    UNAVAILABLE,
    /**
     * Written on some replicas but too few acknowledged in time; the write is kept and propagates.
     */
    TIMEOUT
  }

  private final Reason reason;
  private final int acked;
  private final int required;

  public ReplicationException(Reason reason, int acked, int required, String message) {
    super(message);
    this.reason = reason;
    this.acked = acked;
    this.required = required;
  }

  /** Fewer of a key's replicas are up than a request requires; nothing was written. */
  static ReplicationException unavailable(int live, int required) {
    return new ReplicationException(
        Reason.UNAVAILABLE,
        0,
        required,
        required + " replicas required but " + live + " of the key's replicas are up");
  }

  public Reason reason() {
    return reason;
  }

  public int acked() {
    return acked;
  }

  public int required() {
    return required;
  }
}
