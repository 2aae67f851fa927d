package io.meridian.core;

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

  /** The value to store, if any, and the result to hand back after the commit. */
  record Outcome<R>(Optional<byte[]> write, R result) {
    public Outcome {
      java.util.Objects.requireNonNull(write, "write");
    }

    public static <R> Outcome<R> write(byte[] value, R result) {
      return new Outcome<>(Optional.of(value), result);
    }

    public static <R> Outcome<R> unchanged(R result) {
      return new Outcome<>(Optional.empty(), result);
    }
  }
}
