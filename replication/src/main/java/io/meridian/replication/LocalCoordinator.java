package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Optional;

/**
 * The coordinator of a node that runs alone: its local replica is the only live replica of every
 * key. Consistency levels are still honoured — with {@code replication.n} above 1, a request that
 * needs more than one replica is refused before anything is written, as it would be in a cluster
 * whose other replicas are all down.
 */
public final class LocalCoordinator implements Coordinator {
  private static final int LIVE_REPLICAS = 1;

  private final Vertx vertx;
  private final LocalReplica replica;
  private final MeridianConfig.Replication replication;

  public LocalCoordinator(
      Vertx vertx, LocalReplica replica, MeridianConfig.Replication replication) {
    this.vertx = vertx;
    this.replica = replica;
    this.replication = replication;
  }

  @Override
  public Future<Replicated<Mutation<?>>> write(
      DataKey key, Operation operation, Optional<Consistency> consistency) {
    int required = requiredReplicas(consistency, replication.w());
    if (required > LIVE_REPLICAS) {
      return Future.failedFuture(unavailable(required));
    }
    return Future.fromCompletionStage(replica.apply(key, operation), vertx.getOrCreateContext())
        .map(mutation -> new Replicated<>(mutation, LIVE_REPLICAS, required));
  }

  @Override
  public Future<Replicated<Optional<Crdt<?>>>> read(
      DataKey key, Optional<Consistency> consistency) {
    int required = requiredReplicas(consistency, replication.r());
    if (required > LIVE_REPLICAS) {
      return Future.failedFuture(unavailable(required));
    }
    return Future.fromCompletionStage(replica.read(key), vertx.getOrCreateContext())
        .map(state -> new Replicated<>(state, LIVE_REPLICAS, required));
  }

  private int requiredReplicas(Optional<Consistency> consistency, int configuredDefault) {
    return consistency.map(c -> c.required(replication.n())).orElse(configuredDefault);
  }

  private static ReplicationException unavailable(int required) {
    return new ReplicationException(
        ReplicationException.Reason.UNAVAILABLE,
        0,
        required,
        required + " replicas required but only " + LIVE_REPLICAS + " is alive");
  }
}
