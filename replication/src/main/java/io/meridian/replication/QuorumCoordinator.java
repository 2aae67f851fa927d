package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Coordinates client reads and writes of CRDT keys over the N replicas of a key in this region
 * (Dynamo-style quorums). A node that is not a replica of a key forwards the request to the first
 * live replica. A write is applied locally first (the coordinator is a replica), its delta is sent
 * to the other replicas, and the client is answered after W durable acknowledgements; replicas that
 * are not up, or do not acknowledge in time, get a hint. A read joins R replies and repairs the
 * replicas whose copy was behind (read repair).
 *
 * <p>Deterministic: driven by calls, messages and {@link #onTick}; all on the node's context.
 */
final class QuorumCoordinator {
  private final NodeRuntime runtime;
  private final Membership membership;
  private final LocalReplica replica;
  private final HintedHandoff hints;
  private final MeridianConfig.Replication config;
  private final BiFunction<DataKey, Crdt<?>, Future<Void>> onApplied;
  private final boolean clustered;
  private final Map<Long, PendingWrite> writes = new HashMap<>();
  private final Map<Long, PendingRead> reads = new HashMap<>();
  private final Map<Long, PendingForward> forwards = new LinkedHashMap<>();
  private final Map<ForwardedRequest, Long> forwardedSeen = new LinkedHashMap<>();
  private final Set<DataKey> restoresToRetry = new LinkedHashSet<>();
  private long lastRestoreRetryMillis;
  private long nextRequestId;

  QuorumCoordinator(
      NodeRuntime runtime,
      Membership membership,
      LocalReplica replica,
      HintedHandoff hints,
      MeridianConfig.Replication config,
      boolean clustered,
      BiFunction<DataKey, Crdt<?>, Future<Void>> onApplied) {
    this.runtime = runtime;
    this.membership = membership;
    this.replica = replica;
    this.hints = hints;
    this.config = config;
    this.onApplied = onApplied;
    this.clustered = clustered;
    this.lastRestoreRetryMillis = runtime.now();
    // Request ids start from the clock so that a restarted node does not reuse the ids its previous
    // run sent, which peers may still remember as duplicates.
    this.nextRequestId = runtime.now() << 20;
  }

  Future<Replicated<Mutation<?>>> write(
      DataKey key, Operation operation, Optional<Consistency> consistency, boolean mayForward) {
    List<String> replicas = membership.preferenceList(key, config.n());
    int required = required(consistency, config.w());
    if (!replicas.contains(runtime.self())) {
      if (!mayForward) {
        return Future.failedFuture(notAReplica(required));
      }
      return forward(
              replicas,
              required,
              id -> new PeerMessage.ForwardWrite(id, key, operation, consistency))
          .compose(QuorumCoordinator::written);
    }
    List<String> peers = livePeers(replicas);
    if (1 + peers.size() < required) {
      return Future.failedFuture(ReplicationException.unavailable(1 + peers.size(), required));
    }
    Promise<Replicated<Mutation<?>>> promise = Promise.promise();
    runtime
        .onNode(replica.apply(key, operation))
        .onFailure(promise::fail)
        .onSuccess(
            mutation -> {
              // The delta goes to the other regions' buffers durably before the client hears
              // of it, so an acknowledged write reaches every region even if this node crashes.
              Future<Void> buffered = onApplied.apply(key, mutation.delta());
              Future<Integer> acked = replicate(key, mutation.delta(), replicas, required, 1);
              Future.all(buffered, acked)
                  .onSuccess(
                      all -> promise.complete(new Replicated<>(mutation, acked.result(), required)))
                  .onFailure(
                      failure -> promise.fail(acked.failed() ? acked.cause() : buffered.cause()));
            });
    return promise.future();
  }

  /**
   * Joins a delta that arrived from another region into this region's replicas of its key.
   * Completes once it is durable here: on this node if it is a replica, on one replica that
   * acknowledged, or as hints when none is up.
   */
  Future<Void> mergeInRegion(DataKey key, Crdt<?> delta) {
    List<String> replicas = membership.preferenceList(key, config.n());
    if (replicas.contains(runtime.self())) {
      return runtime
          .onNode(replica.merge(key, delta))
          .compose(
              merged -> {
                replicate(key, delta, replicas, 1, 1);
                return Future.succeededFuture();
              });
    }
    if (livePeers(replicas).isEmpty()) {
      List<Future<Void>> stored = new ArrayList<>();
      for (String target : replicas) {
        stored.add(hints.store(target, key, delta));
      }
      return Future.all(stored).mapEmpty();
    }
    return replicate(key, delta, replicas, 1, 0).mapEmpty();
  }

  /**
   * Sends {@code delta} to the replicas other than this node, hints the ones that are not up, and
   * completes with the number of acknowledgements once {@code required} are in (counting {@code
   * acked} already had), or fails with a timeout. Replicas that do not acknowledge in time are
   * hinted too.
   */
  private Future<Integer> replicate(
      DataKey key, Crdt<?> delta, List<String> replicas, int required, int acked) {
    long id = nextRequestId++;
    Promise<Integer> promise = Promise.promise();
    PendingWrite pending =
        new PendingWrite(key, delta, required, acked, runtime.now() + config.timeoutMs(), promise);
    for (String peer : replicas) {
      if (peer.equals(runtime.self())) {
        continue;
      }
      if (membership.isUp(peer, runtime.now())) {
        pending.awaiting.add(peer);
        runtime.send(peer, new PeerMessage.Replicate(id, key, delta));
      } else {
        hints.store(peer, key, delta);
      }
    }
    if (!pending.answerIfDone() && pending.awaiting.isEmpty()) {
      // Peers went down between the availability check and the local commit.
      pending.timeOut();
    }
    if (!pending.awaiting.isEmpty()) {
      writes.put(id, pending);
    }
    return promise.future();
  }

  void onReplicateAck(String from, long requestId) {
    PendingWrite pending = writes.get(requestId);
    if (pending != null && pending.awaiting.remove(from)) {
      pending.acked++;
      pending.answerIfDone();
      if (pending.awaiting.isEmpty()) {
        writes.remove(requestId);
      }
    }
  }

  Future<Replicated<Optional<Crdt<?>>>> read(
      DataKey key, Optional<Consistency> consistency, boolean mayForward) {
    List<String> replicas = membership.preferenceList(key, config.n());
    int required = required(consistency, config.r());
    if (!replicas.contains(runtime.self())) {
      if (!mayForward) {
        return Future.failedFuture(notAReplica(required));
      }
      return forward(replicas, required, id -> new PeerMessage.ForwardRead(id, key, consistency))
          .compose(QuorumCoordinator::readDone);
    }
    if (required == 1) {
      // consistency=one on a replica answers from this node's own copy (API.md).
      return runtime.onNode(replica.read(key)).map(state -> new Replicated<>(state, 1, 1));
    }
    List<String> peers = livePeers(replicas);
    if (1 + peers.size() < required) {
      return Future.failedFuture(ReplicationException.unavailable(1 + peers.size(), required));
    }
    long id = nextRequestId++;
    Promise<Replicated<Optional<Crdt<?>>>> promise = Promise.promise();
    Set<String> asked = new LinkedHashSet<>(peers);
    asked.add(runtime.self());
    PendingRead pending =
        new PendingRead(key, asked, required, runtime.now() + config.timeoutMs(), promise);
    reads.put(id, pending);
    for (String peer : peers) {
      runtime.send(peer, new PeerMessage.Read(id, key));
    }
    runtime
        .onNode(replica.read(key))
        .onComplete(
            local -> {
              if (local.succeeded()) {
                onReadReply(runtime.self(), id, local.result());
              } else {
                pending.failures++;
                finishReadIfDone(id, pending);
              }
            });
    return promise.future();
  }

  void onReadReply(String from, long requestId, Optional<Crdt<?>> state) {
    PendingRead pending = reads.get(requestId);
    if (pending == null || !pending.asked.contains(from) || pending.replies.containsKey(from)) {
      return;
    }
    pending.replies.put(from, state);
    pending.answerIfDone();
    finishReadIfDone(requestId, pending);
  }

  private void finishReadIfDone(long requestId, PendingRead pending) {
    if (pending.replies.size() + pending.failures >= pending.asked.size()) {
      reads.remove(requestId);
      pending.finish();
    }
  }

  /**
   * Every reachable replica's copy of {@code key}, in every region (for {@code ?explain=true}).
   * Replicas that are not up, or do not answer in time, are missing from the result. Copies that
   * lag are repaired on the way, as by any read.
   */
  Future<Map<String, Optional<Crdt<?>>>> explain(DataKey key) {
    long now = runtime.now();
    Set<String> asked = new LinkedHashSet<>();
    for (List<String> replicas : membership.preferenceLists(key, config.n()).values()) {
      for (String replicaId : replicas) {
        if (replicaId.equals(runtime.self()) || membership.isUp(replicaId, now)) {
          asked.add(replicaId);
        }
      }
    }
    long id = nextRequestId++;
    PendingRead pending =
        new PendingRead(
            key, asked, Math.max(1, asked.size()), now + config.timeoutMs(), Promise.promise());
    pending.everyReply = Promise.promise();
    reads.put(id, pending);
    for (String replicaId : asked) {
      if (replicaId.equals(runtime.self())) {
        runtime
            .onNode(replica.read(key))
            .onComplete(
                local -> {
                  if (local.succeeded()) {
                    onReadReply(runtime.self(), id, local.result());
                  } else {
                    pending.failures++;
                    finishReadIfDone(id, pending);
                  }
                });
      } else {
        runtime.send(replicaId, new PeerMessage.Read(id, key));
      }
    }
    if (asked.isEmpty()) {
      reads.remove(id);
      pending.finish();
    }
    return pending.everyReply.future();
  }

  /**
   * Restores a key whose local copy was quarantined as corrupt: reads it from the other replicas,
   * joins what they have into the local copy, and lets writes to it resume. With no replica
   * reachable it is retried from {@link #onTick}; with no other replica at all there is nothing to
   * restore.
   */
  void restoreFromPeers(DataKey key) {
    List<String> replicas = membership.preferenceList(key, config.n());
    List<String> peers = livePeers(replicas);
    if (!clustered) {
      // A node running alone held the only copy: there is nothing to restore it from.
      replica.clearQuarantine(key);
      return;
    }
    if (peers.isEmpty()) {
      restoresToRetry.add(key);
      return;
    }
    long id = nextRequestId++;
    PendingRead pending =
        new PendingRead(
            key,
            new LinkedHashSet<>(peers),
            1,
            runtime.now() + config.timeoutMs(),
            Promise.promise());
    pending.restoresLocalCopy = true;
    reads.put(id, pending);
    for (String peer : peers) {
      runtime.send(peer, new PeerMessage.Read(id, key));
    }
  }

  /**
   * Handles a request another node forwarded here, and sends it the outcome. A forwarded write is
   * not idempotent (its operation becomes a new delta each time), so a duplicate delivery of the
   * same request is dropped; the first delivery answers.
   */
  void onForwardWrite(String from, PeerMessage.ForwardWrite request) {
    if (forwardedSeen.putIfAbsent(new ForwardedRequest(from, request.requestId()), runtime.now())
        != null) {
      return;
    }
    write(request.key(), request.operation(), request.consistency(), false)
        .onComplete(
            done -> {
              PeerMessage.Outcome outcome =
                  done.succeeded()
                      ? new PeerMessage.Outcome.Written(
                          done.result().value().state(),
                          done.result().value().delta(),
                          done.result().acked(),
                          done.result().required())
                      : failed(done.cause());
              runtime.send(from, new PeerMessage.ForwardReply(request.requestId(), outcome));
            });
  }

  void onForwardRead(String from, PeerMessage.ForwardRead request) {
    if (forwardedSeen.putIfAbsent(new ForwardedRequest(from, request.requestId()), runtime.now())
        != null) {
      return;
    }
    read(request.key(), request.consistency(), false)
        .onComplete(
            done -> {
              PeerMessage.Outcome outcome =
                  done.succeeded()
                      ? new PeerMessage.Outcome.ReadDone(
                          done.result().value(), done.result().acked(), done.result().required())
                      : failed(done.cause());
              runtime.send(from, new PeerMessage.ForwardReply(request.requestId(), outcome));
            });
  }

  void onForwardReply(String from, PeerMessage.ForwardReply reply) {
    PendingForward pending = forwards.get(reply.requestId());
    if (pending != null && pending.target.equals(from)) {
      forwards.remove(reply.requestId());
      pending.onOutcome.accept(reply.outcome());
    }
  }

  /** Times out what has waited too long: unacknowledged replicas get hints. */
  void onTick(long now) {
    forgetOldForwardedRequests(now);
    if (!restoresToRetry.isEmpty() && now - lastRestoreRetryMillis >= 5 * config.timeoutMs()) {
      lastRestoreRetryMillis = now;
      List<DataKey> retry = new ArrayList<>(restoresToRetry);
      restoresToRetry.clear();
      retry.forEach(this::restoreFromPeers);
    }
    for (Iterator<PendingWrite> it = writes.values().iterator(); it.hasNext(); ) {
      PendingWrite pending = it.next();
      if (now >= pending.deadline) {
        it.remove();
        // A 504 promises the write is kept and propagates: answer once the hints are durable.
        List<Future<Void>> stored = new ArrayList<>();
        for (String peer : pending.awaiting) {
          stored.add(hints.store(peer, pending.key, pending.delta));
        }
        Future.join(stored).onComplete(done -> pending.timeOut());
      }
    }
    for (Iterator<PendingRead> it = reads.values().iterator(); it.hasNext(); ) {
      PendingRead pending = it.next();
      if (now >= pending.deadline) {
        it.remove();
        pending.finish();
      }
    }
    for (Iterator<PendingForward> it = forwards.values().iterator(); it.hasNext(); ) {
      PendingForward pending = it.next();
      if (now >= pending.deadline) {
        it.remove();
        pending.onOutcome.accept(
            new PeerMessage.Outcome.Failed(
                RemoteFailure.TIMEOUT,
                0,
                pending.required,
                "replica " + pending.target + " did not answer in time; the outcome is unknown"));
      }
    }
  }

  private void forgetOldForwardedRequests(long now) {
    // Entries are in arrival order; a duplicate arrives within the sender's own deadline.
    long horizon = now - 4 * config.timeoutMs();
    Iterator<Long> arrivals = forwardedSeen.values().iterator();
    while (arrivals.hasNext() && arrivals.next() < horizon) {
      arrivals.remove();
    }
  }

  int inFlight() {
    return writes.size() + reads.size() + forwards.size();
  }

  private Future<PeerMessage.Outcome> forward(
      List<String> replicas, int required, java.util.function.LongFunction<PeerMessage> request) {
    Optional<String> target =
        replicas.stream().filter(r -> membership.isUp(r, runtime.now())).findFirst();
    if (target.isEmpty()) {
      return Future.failedFuture(ReplicationException.unavailable(0, required));
    }
    long id = nextRequestId++;
    Promise<PeerMessage.Outcome> promise = Promise.promise();
    // A forwarded request waits for the coordinator's own timeout, plus a margin for the hops.
    long deadline = runtime.now() + 2 * config.timeoutMs();
    forwards.put(id, new PendingForward(target.get(), required, deadline, promise::complete));
    runtime.send(target.get(), request.apply(id));
    return promise.future();
  }

  private List<String> livePeers(List<String> replicas) {
    long now = runtime.now();
    List<String> peers = new ArrayList<>();
    for (String replicaId : replicas) {
      if (!replicaId.equals(runtime.self()) && membership.isUp(replicaId, now)) {
        peers.add(replicaId);
      }
    }
    return peers;
  }

  private int required(Optional<Consistency> consistency, int configuredDefault) {
    return Consistency.required(consistency, config.n(), configuredDefault);
  }

  private static Future<Replicated<Mutation<?>>> written(PeerMessage.Outcome outcome) {
    if (outcome instanceof PeerMessage.Outcome.Written w) {
      return Future.succeededFuture(
          new Replicated<>(Crdts.mutation(w.state(), w.delta()), w.acked(), w.required()));
    }
    return Future.failedFuture(failure(outcome));
  }

  private static Future<Replicated<Optional<Crdt<?>>>> readDone(PeerMessage.Outcome outcome) {
    if (outcome instanceof PeerMessage.Outcome.ReadDone r) {
      return Future.succeededFuture(new Replicated<>(r.state(), r.acked(), r.required()));
    }
    return Future.failedFuture(failure(outcome));
  }

  private static Throwable failure(PeerMessage.Outcome outcome) {
    if (outcome instanceof PeerMessage.Outcome.Failed f) {
      return f.failure().toException(f.acked(), f.required(), f.message());
    }
    return new IllegalStateException("unexpected outcome " + outcome);
  }

  private static PeerMessage.Outcome.Failed failed(Throwable cause) {
    int acked = 0;
    int required = 1;
    if (cause instanceof ReplicationException replication) {
      acked = replication.acked();
      required = replication.required();
    }
    return new PeerMessage.Outcome.Failed(
        RemoteFailure.of(cause), acked, required, String.valueOf(cause.getMessage()));
  }

  private static ReplicationException notAReplica(int required) {
    return new ReplicationException(
        ReplicationException.Reason.UNAVAILABLE,
        0,
        required,
        "forwarded to a node that is not a replica of the key (ring views differ); retry");
  }

  /** A write applied locally, waiting for the other replicas' acknowledgements. */
  private static final class PendingWrite {
    final DataKey key;
    final Crdt<?> delta;
    final int required;
    final long deadline;
    final Promise<Integer> promise;
    final Set<String> awaiting = new LinkedHashSet<>();
    int acked;
    boolean answered;

    PendingWrite(
        DataKey key,
        Crdt<?> delta,
        int required,
        int acked,
        long deadline,
        Promise<Integer> promise) {
      this.key = key;
      this.delta = delta;
      this.required = required;
      this.acked = acked;
      this.deadline = deadline;
      this.promise = promise;
    }

    boolean answerIfDone() {
      if (!answered && acked >= required) {
        answered = true;
        promise.complete(acked);
      }
      return answered;
    }

    void timeOut() {
      if (!answered) {
        answered = true;
        promise.fail(
            new ReplicationException(
                ReplicationException.Reason.TIMEOUT,
                acked,
                required,
                "written on " + acked + " of the " + required + " replicas required"));
      }
    }
  }

  /** A read waiting for replies; once all are in (or time is up) stale replicas are repaired. */
  private final class PendingRead {
    final DataKey key;
    final Set<String> asked;
    final int required;
    final long deadline;
    final Promise<Replicated<Optional<Crdt<?>>>> promise;
    final Map<String, Optional<Crdt<?>>> replies = new LinkedHashMap<>();
    int failures;
    boolean answered;
    boolean restoresLocalCopy;
    Promise<Map<String, Optional<Crdt<?>>>> everyReply;

    PendingRead(
        DataKey key,
        Set<String> asked,
        int required,
        long deadline,
        Promise<Replicated<Optional<Crdt<?>>>> promise) {
      this.key = key;
      this.asked = asked;
      this.required = required;
      this.deadline = deadline;
      this.promise = promise;
    }

    void answerIfDone() {
      if (!answered && replies.size() >= required) {
        answered = true;
        promise.complete(
            new Replicated<>(Crdts.joinAll(replies.values()), replies.size(), required));
      }
    }

    void finish() {
      answerIfDone();
      if (!answered) {
        answered = true;
        promise.fail(
            new ReplicationException(
                ReplicationException.Reason.TIMEOUT,
                replies.size(),
                required,
                replies.size() + " of the " + required + " replicas required answered in time"));
      }
      if (everyReply != null) {
        everyReply.complete(replies);
      }
      repairStaleReplicas();
      if (restoresLocalCopy) {
        restoreLocalCopy();
      }
    }

    private void restoreLocalCopy() {
      if (replies.isEmpty()) {
        restoresToRetry.add(key);
        return;
      }
      Optional<Crdt<?>> joined = Crdts.joinAll(replies.values());
      Future<?> restored =
          joined.isPresent()
              ? runtime.onNode(replica.merge(key, joined.get()))
              : Future.succeededFuture();
      restored.onComplete(
          done -> {
            if (done.succeeded()) {
              replica.clearQuarantine(key);
            } else {
              restoresToRetry.add(key);
            }
          });
    }

    private void repairStaleReplicas() {
      Optional<Crdt<?>> joined = Crdts.joinAll(replies.values());
      if (joined.isEmpty()) {
        return;
      }
      for (Map.Entry<String, Optional<Crdt<?>>> reply : replies.entrySet()) {
        if (reply.getValue().equals(joined)) {
          continue;
        }
        if (reply.getKey().equals(runtime.self())) {
          replica.merge(key, joined.get());
        } else {
          runtime.send(reply.getKey(), new PeerMessage.Repair(key, joined.get()));
        }
      }
    }
  }

  private record ForwardedRequest(String from, long requestId) {}

  private record PendingForward(
      String target, int required, long deadline, Consumer<PeerMessage.Outcome> onOutcome) {}
}
