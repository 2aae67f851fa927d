package io.meridian.crdt;

import java.util.Objects;

/**
 * The result of a delta mutator: the new state and the delta-state that produces it.
 *
 * <p>{@code old.join(delta).equals(state)} always holds, and joining {@code delta} into any replica
 * that already includes {@code old} has the same effect as joining {@code state}. The delta is what
 * replication ships; it is usually far smaller than the state.
 *
 * @param state the state after the operation
 * @param delta the delta-state of the operation; empty when the operation changed nothing
 * @param <T> the CRDT type
 */
public record Mutation<T extends Crdt<T>>(T state, T delta) {
  public Mutation {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(delta, "delta");
  }
}
