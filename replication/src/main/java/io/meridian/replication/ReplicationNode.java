package io.meridian.replication;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.core.DataKey;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * One node's replication protocol: membership and failure detection, quorum coordination, the
 * replica side of the peer protocol, and hinted handoff, composed and driven by three inputs —
 * client calls, {@link #onMessage peer messages}, and {@link #onTick ticks} — with time from an
 * injected clock. It performs no I/O itself: it sends through a {@link Transport} and stores
 * through the node's {@link LocalReplica} and {@link Store}. Every method must be called on the
 * node's protocol context (the executor given at construction), which makes it deterministic under
 * a simulated network and clock.
 */
public final class ReplicationNode {
  private static final String MEMBER_PREFIX = "member.";

  private final NodeRuntime runtime;
  private final Membership membership;
  private final LocalReplica replica;
  private final HintedHandoff hints;
  private final QuorumCoordinator coordinator;
  private final AntiEntropy antiEntropy;
  private final DeltaBuffer deltaBuffer;
  private final RegionGossip gossip;
  private final MeridianConfig config;
  private long lastHeartbeatMillis = Long.MIN_VALUE / 2;
  private long rebalanceAtMillis = Long.MAX_VALUE;
  private long lastTickMillis;
  private final Store store;

  public ReplicationNode(
      Member self,
      MeridianConfig config,
      LocalReplica replica,
      Store store,
      Transport transport,
      LongSupplier clockMillis,
      Executor protocolContext) {
    this.config = config;
    this.store = store;
    this.runtime = new NodeRuntime(self.id(), transport, clockMillis, protocolContext);
    this.membership = new Membership(self, config.ring().vnodes(), config.failureDetector());
    this.replica = replica;
    this.hints =
        new HintedHandoff(
            runtime,
            store,
            config.hints(),
            config.replication().timeoutMs(),
            target -> membership.isUp(target, runtime.now()),
            membership::inRing,
            this::hintsExpired);
    this.coordinator =
        new QuorumCoordinator(
            runtime,
            membership,
            replica,
            hints,
            config.replication(),
            config.cluster().clustered(),
            this::bufferForOtherRegions);
    this.deltaBuffer = new DeltaBuffer(runtime, store, config.gossip().bufferMaxEntries());
    this.gossip =
        new RegionGossip(
            runtime,
            membership,
            deltaBuffer,
            coordinator,
            config.gossip(),
            2 * config.replication().timeoutMs(),
            this::repairRegion);
    this.antiEntropy =
        new AntiEntropy(runtime, membership, replica, store, config, this::fullStateShipped);
    replica.onQuarantine(key -> protocolContext.execute(() -> coordinator.restoreFromPeers(key)));
  }

  private Future<Void> bufferForOtherRegions(DataKey key, Crdt<?> delta) {
    return gossip.onLocalWrite(key, delta);
  }

  /** A region missed deltas (its buffer overflowed): Merkle repair brings it up to date. */
  private void repairRegion(String region) {
    antiEntropy.ensureRepair(Optional.empty());
  }

  private void fullStateShipped(String peer, long bytes) {
    gossip.recordFullState(peer, bytes);
  }

  /** Hints for {@code target} expired undelivered: a targeted repair restores what they held. */
  private void hintsExpired(String target) {
    antiEntropy.ensureRepair(Optional.of(target));
  }

  /**
   * Loads durable state left by a previous run: the Merkle trees of the stored keys, pending hints,
   * and repairs to resume.
   */
  public Future<Void> start() {
    // Members first: a value quarantined while the trees load is restored from the ring's peers.
    return loadRememberedMembers()
        .compose(loaded -> runtime.onNode(replica.loadMerkle()))
        .compose(keys -> hints.load())
        .compose(loaded -> deltaBuffer.load())
        .compose(loaded -> antiEntropy.load());
  }

  /** Starts a Merkle-tree repair of every range this node replicates, within the scope. */
  public RepairProgress startRepair(
      Optional<io.meridian.core.Keyspace> keyspace, Optional<String> peer, boolean dryRun) {
    return antiEntropy.start(keyspace, peer, dryRun);
  }

  public Optional<RepairProgress> repairProgress(String id) {
    return antiEntropy.progress(id);
  }

  public String self() {
    return runtime.self();
  }

  public Future<Replicated<Mutation<?>>> write(
      DataKey key, Operation operation, Optional<Consistency> consistency) {
    return coordinator.write(key, operation, consistency, true);
  }

  public Future<Replicated<Optional<Crdt<?>>>> read(
      DataKey key, Optional<Consistency> consistency) {
    return coordinator.read(key, consistency, true);
  }

  /** Every reachable replica's copy of {@code key}, by node, in every region. */
  public Future<Map<String, Optional<Crdt<?>>>> explain(DataKey key) {
    return coordinator.explain(key);
  }

  /** The region of a known member. */
  public Optional<String> regionOf(String nodeId) {
    return membership.regionOf(nodeId);
  }

  public void memberJoined(Member member) {
    int n = config.replication().n();
    List<long[]> replicated = membership.rangesReplicatedBy(runtime.self(), n);
    if (membership.memberJoined(member)) {
      // What this node gave up to the newcomer, it hands to the new replicas itself: they may
      // have no other live source for it (a replica that is down is still on the ring).
      antiEntropy.handOff(
          TokenRanges.minus(replicated, membership.rangesReplicatedBy(runtime.self(), n)));
      scheduleRebalance();
      rememberMember(member);
    }
  }

  /**
   * Members are remembered in the {@code meta} table, so a node restarted while a peer is down
   * still places keys on that peer (and hints its writes) instead of forgetting it.
   */
  private void rememberMember(Member member) {
    byte[] value = (member.region() + "\n" + member.httpAddress()).getBytes(UTF_8);
    store.update(
        Table.META,
        (MEMBER_PREFIX + member.id()).getBytes(UTF_8),
        current ->
            current.isPresent() && Arrays.equals(current.get(), value)
                ? StoreUpdate.Outcome.unchanged(0)
                : StoreUpdate.Outcome.write(value, 0));
  }

  /**
   * A member gone for the cooldown is forgotten, so that a restart of this node does not put it
   * back on the ring, where every other node has taken it off; it is remembered again if it joins.
   */
  private void forgetMember(String id) {
    store.update(
        Table.META,
        (MEMBER_PREFIX + id).getBytes(UTF_8),
        current ->
            current.isPresent() ? StoreUpdate.Outcome.delete(0) : StoreUpdate.Outcome.unchanged(0));
  }

  private Future<Void> loadRememberedMembers() {
    return runtime
        .onNode(
            store.scan(
                Table.META,
                MEMBER_PREFIX.getBytes(UTF_8),
                (MEMBER_PREFIX + '\uffff').getBytes(UTF_8),
                100_000))
        .map(
            entries -> {
              for (Store.Entry entry : entries) {
                String id = new String(entry.key(), UTF_8).substring(MEMBER_PREFIX.length());
                String[] fields = new String(entry.value(), UTF_8).split("\n", 2);
                if (!id.equals(runtime.self()) && fields.length == 2) {
                  membership.memberRemembered(new Member(id, fields[0], fields[1]));
                }
              }
              return null;
            });
  }

  /**
   * After the ring changed, ranges move: a repair of everything this node replicates, and of what
   * it just gave up, streams each range to its new replicas from the ones that hold it (nothing is
   * deleted from old owners). It starts a few heartbeats later, once the new member is up
   * everywhere.
   */
  private void scheduleRebalance() {
    rebalanceAtMillis =
        Math.min(
            rebalanceAtMillis, runtime.now() + 3 * config.failureDetector().heartbeatIntervalMs());
  }

  public void memberLeft(String id) {
    membership.memberLeft(id);
    if (!id.equals(runtime.self())
        && membership.regionOf(id).equals(Optional.of(membership.self().region()))
        && !membership.remoteRegions().isEmpty()) {
      // Deltas for other regions queue on the node that coordinated the write (RegionGossip), so
      // what it had not shipped yet may now be in this region only: its replicas here ship it.
      antiEntropy.ensureRepairWithOtherRegions();
    }
  }

  /** Dispatches a message from a peer. */
  public void onMessage(String from, PeerMessage message) {
    if (message instanceof PeerMessage.Heartbeat) {
      membership.heartbeatFrom(from, runtime.now());
    } else if (message instanceof PeerMessage.Replicate m) {
      runtime
          .onNode(replica.merge(m.key(), m.delta()))
          .onSuccess(state -> runtime.send(from, new PeerMessage.ReplicateAck(m.requestId())));
    } else if (message instanceof PeerMessage.ReplicateAck m) {
      coordinator.onReplicateAck(from, m.requestId());
    } else if (message instanceof PeerMessage.Read m) {
      runtime
          .onNode(replica.read(m.key()))
          .onSuccess(state -> runtime.send(from, new PeerMessage.ReadReply(m.requestId(), state)));
    } else if (message instanceof PeerMessage.ReadReply m) {
      coordinator.onReadReply(from, m.requestId(), m.state());
    } else if (message instanceof PeerMessage.Repair m) {
      replica.merge(m.key(), m.state());
    } else if (message instanceof PeerMessage.ForwardWrite m) {
      coordinator.onForwardWrite(from, m);
    } else if (message instanceof PeerMessage.ForwardRead m) {
      coordinator.onForwardRead(from, m);
    } else if (message instanceof PeerMessage.ForwardReply m) {
      coordinator.onForwardReply(from, m);
    } else if (message instanceof PeerMessage.HintDelivery m) {
      acceptHints(from, m);
    } else if (message instanceof PeerMessage.HintDeliveryAck m) {
      hints.onDeliveryAck(from, m.deliveryId());
    } else if (message instanceof PeerMessage.TreeHashes m) {
      antiEntropy.onTreeHashes(from, m);
    } else if (message instanceof PeerMessage.TreeHashesReply m) {
      antiEntropy.onTreeHashesReply(from, m);
    } else if (message instanceof PeerMessage.DigestRequest m) {
      antiEntropy.onDigestRequest(from, m);
    } else if (message instanceof PeerMessage.DigestReply m) {
      antiEntropy.onDigestReply(from, m);
    } else if (message instanceof PeerMessage.PushRequest m) {
      antiEntropy.onPushRequest(from, m);
    } else if (message instanceof PeerMessage.GossipBatch m) {
      gossip.onGossipBatch(from, m);
    } else if (message instanceof PeerMessage.GossipAck m) {
      gossip.onGossipAck(from, m.batchId());
    }
  }

  private void acceptHints(String from, PeerMessage.HintDelivery delivery) {
    List<Future<Crdt<?>>> merges = new ArrayList<>(delivery.hints().size());
    for (PeerMessage.KeyedDelta hint : delivery.hints()) {
      merges.add(runtime.onNode(replica.merge(hint.key(), hint.delta())));
    }
    Future.all(merges)
        .onSuccess(
            all -> runtime.send(from, new PeerMessage.HintDeliveryAck(delivery.deliveryId())));
  }

  /** Advances time: heartbeats when due, request timeouts, hint replay. */
  public void onTick() {
    long now = runtime.now();
    if (now - lastTickMillis > config.failureDetector().acceptablePauseMs()) {
      membership.forgiveLocalPause(now);
    }
    lastTickMillis = now;
    if (now - lastHeartbeatMillis >= config.failureDetector().heartbeatIntervalMs()) {
      lastHeartbeatMillis = now;
      for (String peer : membership.joinedPeers()) {
        runtime.send(peer, new PeerMessage.Heartbeat());
      }
    }
    List<String> takenOffTheRing = membership.onTick(now);
    if (!takenOffTheRing.isEmpty()) {
      takenOffTheRing.forEach(this::forgetMember);
      scheduleRebalance();
    }
    if (now >= rebalanceAtMillis) {
      rebalanceAtMillis = Long.MAX_VALUE;
      antiEntropy.ensureRepair(Optional.empty());
    }
    coordinator.onTick(now);
    gossip.onTick(now);
    hints.onTick(now);
    antiEntropy.onTick(now);
  }

  /** A snapshot of this node's view, for {@code /v1/cluster/status} and metrics. */
  public ClusterStatus status() {
    long now = runtime.now();
    List<ClusterStatus.MemberView> members = new ArrayList<>();
    for (Member member : membership.members()) {
      members.add(
          new ClusterStatus.MemberView(
              member,
              membership.status(member.id(), now),
              membership.phi(member.id(), now),
              hints.pending(member.id()),
              membership.inRing(member.id())));
    }
    return new ClusterStatus(
        membership.self(),
        members,
        hints.pendingTotal(),
        hints.delivered(),
        hints.expired(),
        hints.obsolete(),
        hints.dropped(),
        gossip.lag(now));
  }

  /** The preference lists of {@code key} in every region. */
  public SortedMap<String, List<String>> preferenceLists(DataKey key) {
    return membership.preferenceLists(key, config.replication().n());
  }

  /** Pending hints per target. */
  public Map<String, Long> pendingHints() {
    return hints.pendingByTarget();
  }
}
