package io.meridian.crdt;

/**
 * A state-based CRDT: an immutable value in a join-semilattice.
 *
 * <p>{@link #join} is the least upper bound: commutative, associative and idempotent, so replicas
 * that have received the same states, in any order and any number of times, hold equal values.
 * Every type has an empty value (bottom, the identity of join), and its mutators return a {@link
 * Mutation}: the new state together with a small delta-state whose join has the same effect
 * (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", JPDC 2018). Deltas are states of
 * the same type, so they are shipped, buffered, joined into each other and encoded exactly like
 * full states.
 *
 * <p>Implementations are immutable and thread-safe; equality is by value.
 *
 * @param <T> the implementing type
 */
public sealed interface Crdt<T extends Crdt<T>> permits GCounter, PnCounter, LwwRegister, OrSet {

  /**
   * Returns the least upper bound of this state and {@code other}. May return {@code this} or
   * {@code other} itself when one already includes the other, so no copy is made.
   */
  T join(T other);

  /**
   * Whether this is the empty state (bottom): joining it into anything changes nothing, so an empty
   * delta need not be stored or shipped.
   */
  boolean isEmpty();

  /**
   * Joins two states whose type is only known at run time (read from storage or the wire).
   *
   * @throws IllegalArgumentException if they are not of the same type
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static Crdt<?> join(Crdt<?> a, Crdt<?> b) {
    if (a.getClass() != b.getClass()) {
      throw new IllegalArgumentException(
          "cannot join a "
              + b.getClass().getSimpleName()
              + " into a "
              + a.getClass().getSimpleName());
    }
    return (Crdt<?>) ((Crdt) a).join(b);
  }
}
