package io.meridian.crdt;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Random operations on one CRDT type, the alphabet of an {@link OperationHistory}.
 *
 * <p>Implementations must be deterministic functions of their arguments, so a history is
 * reproducible from its seed, and must only make operations that are valid for {@code state} (for
 * example, no counter overflow).
 *
 * @param <T> the CRDT type
 */
public interface OperationGenerator<T extends Crdt<T>> {

  /** The CRDT type, for typed decoding. */
  Class<T> type();

  /** The empty state every replica starts from. */
  T empty();

  /**
   * Applies one random operation to {@code state} as {@code replica}.
   *
   * @param observed every state some replica held earlier in the history, never empty; operations
   *     that carry a context read by a client (an OR-set's observed remove) take it from here
   */
  Mutation<T> apply(SplittableRandom random, ReplicaId replica, T state, List<T> observed);
}
