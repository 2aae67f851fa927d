package io.meridian.replication;

import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import java.util.Collection;
import java.util.Optional;

/** Joins of CRDT values whose concrete type is only known at run time. */
final class Crdts {
  private Crdts() {}

  /** The join of every present state; empty when none is present. */
  static Optional<Crdt<?>> joinAll(Collection<Optional<Crdt<?>>> states) {
    Crdt<?> joined = null;
    for (Optional<Crdt<?>> state : states) {
      if (state.isPresent()) {
        joined = joined == null ? state.get() : Crdt.join(joined, state.get());
      }
    }
    return Optional.ofNullable(joined);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Mutation<?> mutation(Crdt<?> state, Crdt<?> delta) {
    return new Mutation(state, delta);
  }
}
