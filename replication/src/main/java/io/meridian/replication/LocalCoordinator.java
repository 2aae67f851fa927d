package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The coordinator of a node running alone: every key's only replica is this node, so there is no
 * peer to wait for, hint or forward to, and no protocol state to consult. Requests go straight from
 * the caller's context to the local replica and back, without the two extra hops through the
 * protocol context that {@link QuorumCoordinator} needs — on a single node those hops cost more
 * than the request itself (thread wake-ups are system calls).
 *
 * <p>It answers exactly as the quorum coordinator does on a one-node ring: a request that requires
 * more replicas than the configured {@code replication.n} allows when only this one is up fails
 * with 503 and changes nothing.
 */
final class LocalCoordinator implements Coordinator {
  private final LocalReplica replica;
  private final MeridianConfig.Replication config;
  private final Coordinator viaProtocol;
  private final Map<Context, Executor> eventLoops = new ConcurrentHashMap<>();

  /**
   * @param viaProtocol the node's protocol coordinator, which still answers the rare {@code
   *     ?explain=true} reads (with the same report format as in a cluster)
   */
  LocalCoordinator(
      LocalReplica replica, MeridianConfig.Replication config, Coordinator viaProtocol) {
    this.replica = replica;
    this.config = config;
    this.viaProtocol = viaProtocol;
  }

  @Override
  public Future<Replicated<Mutation<?>>> write(
      DataKey key, Operation operation, Optional<Consistency> consistency) {
    int required = Consistency.required(consistency, config.n(), config.w());
    if (required > 1) {
      return Future.failedFuture(ReplicationException.unavailable(1, required));
    }
    return onCaller(replica.apply(key, operation)).map(m -> new Replicated<>(m, 1, required));
  }

  @Override
  public Future<Replicated<Optional<Crdt<?>>>> read(
      DataKey key, Optional<Consistency> consistency) {
    int required = Consistency.required(consistency, config.n(), config.r());
    if (required > 1) {
      return Future.failedFuture(ReplicationException.unavailable(1, required));
    }
    return onCaller(replica.read(key)).map(state -> new Replicated<>(state, 1, required));
  }

  @Override
  public Future<Replicated<List<ReplicaCopy>>> explain(DataKey key) {
    return viaProtocol.explain(key);
  }

  /**
   * A future that completes on the calling Vert.x context when {@code future} completes. The
   * storage writer completes a whole group commit at once; the completions bound for one event loop
   * go over in one hand-off (see {@link CoalescingExecutor}) rather than one wake-up each.
   */
  private <T> Future<T> onCaller(CompletableFuture<T> future) {
    ContextInternal caller = (ContextInternal) Vertx.currentContext();
    if (caller == null) {
      return Future.fromCompletionStage(future)
          .recover(failure -> Future.failedFuture(NodeRuntime.unwrap(failure)));
    }
    Promise<T> promise = caller.promise();
    future.whenCompleteAsync(
        (value, failure) -> {
          if (failure == null) {
            promise.complete(value);
          } else {
            promise.fail(NodeRuntime.unwrap(failure));
          }
        },
        eventLoopOf(caller));
    return promise.future();
  }

  /** One coalescing hand-off per event loop (requests run on per-request duplicates of it). */
  private Executor eventLoopOf(ContextInternal caller) {
    return eventLoops.computeIfAbsent(
        caller.unwrap(),
        loop -> new CoalescingExecutor(task -> loop.runOnContext(v -> task.run())));
  }
}
