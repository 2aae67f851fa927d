package io.meridian.core;

import java.util.Objects;
import java.util.Optional;

/**
 * A read-modify-write of one stored value, run by the storage writer inside the transaction that
 * also persists its result. It must be a pure function of {@code current}: no I/O, no blocking, no
 * locks. Throwing fails this update alone (nothing of it is written); other updates in the same
 * group commit are unaffected.
 *
 * @param <R> what the caller gets back once the transaction has committed durably
 */
@FunctionalInterface
public interface StoreUpdate<R> {

  Outcome<R> apply(Optional<byte[]> current);

  /** What to do with the stored value, and the result to hand back after the commit. */
  record Outcome<R>(Change change, Optional<byte[]> value, R result) {
    /** The effect on the stored value. */
    public enum Change {
      KEEP,
      PUT,
      DELETE
    }

    public Outcome {
      Objects.requireNonNull(change, "change");
      Objects.requireNonNull(value, "value");
      if ((change == Change.PUT) != value.isPresent()) {
        throw new IllegalArgumentException("a value goes with PUT and only with PUT");
      }
    }

    public static <R> Outcome<R> write(byte[] value, R result) {
      return new Outcome<>(Change.PUT, Optional.of(value), result);
    }

    public static <R> Outcome<R> unchanged(R result) {
      return new Outcome<>(Change.KEEP, Optional.empty(), result);
    }

    public static <R> Outcome<R> delete(R result) {
      return new Outcome<>(Change.DELETE, Optional.empty(), result);
    }
  }
}
