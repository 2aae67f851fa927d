package io.meridian.core;

import io.meridian.crdt.CausalContext;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A client's request to change one CRDT key, before it has become a delta. The coordinating replica
 * turns it into a delta against its own state (with its own replica id and clock), so the same
 * operation is never applied twice under different dots.
 */
public sealed interface Operation {

  /** The keyspace whose values this operation changes. */
  Keyspace keyspace();

  /** Adds {@code delta} (negative allowed) to a PN-counter. */
  record CounterAdd(long delta) implements Operation {
    @Override
    public Keyspace keyspace() {
      return Keyspace.COUNTERS;
    }
  }

  /**
   * Removes then adds elements of an OR-set in one delta. A remove carrying {@code observed}
   * removes only the adds that context saw; without it, every add the coordinator has seen.
   */
  record SetUpdate(List<String> add, List<String> remove, Optional<CausalContext> observed)
      implements Operation {
    public SetUpdate {
      add = List.copyOf(add);
      remove = List.copyOf(remove);
      Objects.requireNonNull(observed, "observed");
    }

    @Override
    public Keyspace keyspace() {
      return Keyspace.SETS;
    }
  }

  /** Removes every element of an OR-set that {@code observed} (or the coordinator) has seen. */
  record SetClear(Optional<CausalContext> observed) implements Operation {
    public SetClear {
      Objects.requireNonNull(observed, "observed");
    }

    @Override
    public Keyspace keyspace() {
      return Keyspace.SETS;
    }
  }

  /** Writes bytes with a content type to a last-writer-wins register. */
  record RegisterPut(byte[] value, String contentType) implements Operation {
    public RegisterPut {
      value = value.clone();
      Objects.requireNonNull(contentType, "contentType");
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    @Override
    public Keyspace keyspace() {
      return Keyspace.KEYS;
    }
  }

  /** Writes a timestamped tombstone to a last-writer-wins register. */
  record RegisterDelete() implements Operation {
    @Override
    public Keyspace keyspace() {
      return Keyspace.KEYS;
    }
  }
}
