package io.meridian.replication;

import io.meridian.core.OperationRejectedException;
import io.meridian.core.StoreException;

/**
 * The failures a forwarded request can report back, each turned into the same exception on the
 * forwarding node as on the coordinator, so a client sees the same problem wherever it asked.
 */
public enum RemoteFailure {
  UNAVAILABLE,
  TIMEOUT,
  COUNTER_OVERFLOW,
  STORAGE_FULL,
  OVERLOADED,
  INTERNAL;

  static RemoteFailure of(Throwable failure) {
    if (failure instanceof ReplicationException replication) {
      return replication.reason() == ReplicationException.Reason.UNAVAILABLE
          ? UNAVAILABLE
          : TIMEOUT;
    }
    if (failure instanceof OperationRejectedException) {
      return COUNTER_OVERFLOW;
    }
    if (failure instanceof StoreException store) {
      return switch (store.reason()) {
        case FULL -> STORAGE_FULL;
        case OVERLOADED, CLOSED, REPAIRING -> OVERLOADED;
        case CORRUPT, INCOMPATIBLE, IN_USE, IO -> INTERNAL;
      };
    }
    return INTERNAL;
  }

  RuntimeException toException(int acked, int required, String message) {
    return switch (this) {
      case UNAVAILABLE ->
          new ReplicationException(
              ReplicationException.Reason.UNAVAILABLE, acked, required, message);
      case TIMEOUT ->
          new ReplicationException(ReplicationException.Reason.TIMEOUT, acked, required, message);
      case COUNTER_OVERFLOW ->
          new OperationRejectedException(
              OperationRejectedException.Reason.COUNTER_OVERFLOW, message);
      case STORAGE_FULL -> new StoreException(StoreException.Reason.FULL, message);
      case OVERLOADED -> new StoreException(StoreException.Reason.OVERLOADED, message);
      case INTERNAL -> new IllegalStateException("coordinator failed: " + message);
    };
  }
}
