package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * Coordinates reads and writes of CRDT keys across the replicas of a key in this region. Futures
 * complete on the caller's Vert.x context. Failures are {@link ReplicationException} (not enough
 * replicas), or the core module's exceptions from the local replica.
 */
public interface Coordinator {

  /**
   * Applies a client operation and waits for the requested number of replicas.
   *
   * @param consistency empty for the configured default ({@code replication.w})
   */
  Future<Replicated<Mutation<?>>> write(
      DataKey key, Operation operation, Optional<Consistency> consistency);

  /**
   * Reads a key from the requested number of replicas, joined.
   *
   * @param consistency empty for the configured default ({@code replication.r})
   * @return the joined state, empty if no replica has ever seen the key
   */
  Future<Replicated<Optional<Crdt<?>>>> read(DataKey key, Optional<Consistency> consistency);

  /**
   * Every reachable replica's copy of {@code key}, in every region, for an operator to see whether
   * they agree ({@code ?explain=true}); counted as a read is, inside this region: the copies that
   * answered of the key's replicas here.
   */
  Future<Replicated<List<ReplicaCopy>>> explain(DataKey key);

  /** One replica's copy of a key; empty if it never saw the key. */
  record ReplicaCopy(String node, String region, Optional<Crdt<?>> state) {}
}
