package io.meridian.core;

/**
 * A storage operation that could not be done. The {@link Reason} decides how it is reported (the
 * gateway maps each to one problem type); nothing that fails with this was acknowledged.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the store refused or failed. */
  public enum Reason {
    /** The disk or the LMDB map is full; the write was not persisted. */
    FULL,
    /** The writer's queue is full; the caller should retry later. */
    OVERLOADED,
    /** The store is closing or closed. */
    CLOSED,
    /** The key's stored value was corrupt; it is being restored from other replicas. */
    REPAIRING,
    /** A stored value failed its checksum or format check; it is never served. */
    CORRUPT,
    /** The data directory is not a Meridian store, or was written by a newer format. */
    INCOMPATIBLE,
    /** Another process has the store open. */
    IN_USE,
    /** Any other I/O failure of the environment. */
    IO
  }

  private final Reason reason;

  public StoreException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public StoreException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
