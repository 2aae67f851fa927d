package io.meridian.replication;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.meridian.core.DataKey;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.Store;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin Vert.x adapter around a {@link ReplicationNode}: hosts it on this verticle's event-loop
 * context, feeds it event-bus messages, Hazelcast membership changes and periodic ticks, and gives
 * the HTTP verticles a {@link Coordinator} that hops onto that context and back.
 *
 * <p>After Hazelcast heals a split brain, Vert.x can lose the event-bus subscriptions it had
 * registered in the cluster (vertx-hazelcast #90, #109); the consumer is therefore registered again
 * whenever this member merges back.
 */
public final class ReplicationVerticle extends VerticleBase implements ClusterView, RepairService {
  private static final Logger log = LoggerFactory.getLogger(ReplicationVerticle.class);
  private static final long TICK_MILLIS = 50;

  private final MeridianConfig config;
  private final LocalReplica replica;
  private final Store store;
  private final MeterRegistry registry;
  private final Optional<HazelcastClusterManager> membership;
  private final Map<String, AtomicLong> pendingHintGauges = new ConcurrentHashMap<>();
  private final java.util.Set<String> regionGauges = new java.util.HashSet<>();

  /** The membership member that holds each node id the replication node knows as joined. */
  private final Map<String, UUID> holders = new HashMap<>();

  private volatile ClusterStatus lastStatus;
  private ReplicationNode node;
  private MessageConsumer<Buffer> consumer;

  /**
   * @param membership the Hazelcast membership of a clustered node; empty for a node running alone
   */
  public ReplicationVerticle(
      MeridianConfig config,
      LocalReplica replica,
      Store store,
      MeterRegistry registry,
      Optional<HazelcastClusterManager> membership) {
    this.config = config;
    this.replica = replica;
    this.store = store;
    this.registry = registry;
    this.membership = membership;
  }

  @Override
  public Future<?> start() {
    Member self =
        new Member(
            config.node().id(),
            config.node().region(),
            config.http().host() + ":" + config.http().port());
    Transport transport =
        membership.isPresent()
            ? new EventBusTransport(
                vertx, self.id(), self.region(), config.faults(), id -> node.regionOf(id))
            : (to, message) -> {};
    Context protocolContext = context;
    node =
        new ReplicationNode(
            self,
            config,
            replica,
            store,
            transport,
            System::currentTimeMillis,
            task -> protocolContext.runOnContext(v -> task.run()));
    return node.start()
        .compose(loaded -> membership.map(this::joinMembership).orElse(Future.succeededFuture()))
        .onSuccess(
            joined -> {
              vertx.setPeriodic(TICK_MILLIS, id -> tick());
              registerMetrics();
            });
  }

  private Future<Void> joinMembership(HazelcastClusterManager manager) {
    HazelcastInstance hazelcast = manager.getHazelcastInstance();
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {
                context.runOnContext(v -> membersChanged(hazelcast, false));
              }

              @Override
              public void memberRemoved(MembershipEvent event) {
                context.runOnContext(v -> membersChanged(hazelcast, false));
              }
            });
    hazelcast
        .getLifecycleService()
        .addLifecycleListener(
            event -> {
              if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                context.runOnContext(v -> rejoinAfterMerge(hazelcast));
              }
            });
    membersChanged(hazelcast, false);
    return subscribe();
  }

  /**
   * Brings the replication node's view up to the membership's current one: a node id that appeared
   * or moved to another member (a restart) has joined, one that is gone has left. Each id belongs
   * to the oldest member that claims it, and this node's own id only to this member: a second
   * member with an id already taken (it leaves again at once, {@link
   * HazelcastCluster#requireUniqueId}) must not take the first one's place, nor its leaving count
   * as the first one's. Recomputed from the whole view, so events that arrive late or out of order
   * change nothing.
   *
   * @param rejoinAll whether every member counts as joined again (after a merge)
   */
  private void membersChanged(HazelcastInstance hazelcast, boolean rejoinAll) {
    Map<String, com.hazelcast.cluster.Member> current = new LinkedHashMap<>();
    for (com.hazelcast.cluster.Member member : hazelcast.getCluster().getMembers()) {
      String id = member.getAttribute(HazelcastCluster.ID_ATTRIBUTE);
      if (id == null || (id.equals(node.self()) && !member.localMember())) {
        continue;
      }
      com.hazelcast.cluster.Member holder = current.putIfAbsent(id, member); // oldest first
      if (holder != null) {
        log.warn(
            "the member at {} claims node id {}, which the member at {} has; ignored",
            member.getAddress(),
            id,
            holder.getAddress());
      }
    }
    current.forEach(
        (id, member) -> {
          if (rejoinAll || !member.getUuid().equals(holders.get(id))) {
            holders.put(id, member.getUuid());
            addMember(member);
          }
        });
    for (String id : List.copyOf(holders.keySet())) {
      if (!current.containsKey(id)) {
        holders.remove(id);
        node.memberLeft(id);
      }
    }
  }

  private void addMember(com.hazelcast.cluster.Member member) {
    String id = member.getAttribute(HazelcastCluster.ID_ATTRIBUTE);
    String region = member.getAttribute(HazelcastCluster.REGION_ATTRIBUTE);
    String http = member.getAttribute(HazelcastCluster.HTTP_ATTRIBUTE);
    if (id != null && region != null && http != null) {
      node.memberJoined(new Member(id, region, http));
    }
  }

  private void rejoinAfterMerge(HazelcastInstance hazelcast) {
    log.info("cluster merged after a split; re-registering event-bus subscriptions");
    membersChanged(hazelcast, true);
    MessageConsumer<Buffer> previous = consumer;
    previous.unregister().onComplete(done -> subscribe());
  }

  private Future<Void> subscribe() {
    consumer =
        vertx
            .eventBus()
            .consumer(
                Addresses.peer(node.self()),
                message -> {
                  PeerCodec.Envelope envelope;
                  try {
                    envelope = PeerCodec.decode(message.body().getBytes());
                  } catch (IllegalArgumentException e) {
                    log.warn("dropped a malformed peer message: {}", e.getMessage());
                    return;
                  }
                  node.onMessage(envelope.from(), envelope.message());
                });
    return consumer.completion();
  }

  private void tick() {
    node.onTick();
    ClusterStatus status = node.status();
    lastStatus = status;
    registerRegionGauges(status);
    node.pendingHints()
        .forEach(
            (target, count) ->
                pendingHintGauges
                    .computeIfAbsent(target, this::registerPendingHintGauge)
                    .set(count));
  }

  private AtomicLong registerPendingHintGauge(String target) {
    AtomicLong value = new AtomicLong();
    Gauge.builder("meridian.hints.pending", value, AtomicLong::get)
        .description("Hints waiting to be replayed to a target")
        .tag("target", target)
        .register(registry);
    return value;
  }

  private void registerRegionGauges(ClusterStatus status) {
    status
        .regions()
        .forEach(
            (region, lag) -> {
              if (regionGauges.add(region)) {
                registerRegion(region);
              }
            });
  }

  private void registerRegion(String region) {
    java.util.function.ToDoubleFunction<ReplicationVerticle> backlogEntries =
        v -> regionValue(region, RegionLag::backlogEntries);
    Gauge.builder("meridian.gossip.backlog.entries", this, backlogEntries)
        .description("Deltas buffered for a remote region and not yet acknowledged")
        .tag("region", region)
        .register(registry);
    Gauge.builder(
            "meridian.gossip.backlog.bytes",
            this,
            v -> regionValue(region, RegionLag::backlogBytes))
        .tag("region", region)
        .register(registry);
    Gauge.builder(
            "meridian.gossip.oldest.unacknowledged.seconds",
            this,
            v -> regionValue(region, RegionLag::oldestUnacknowledgedAgeMillis) / 1000.0)
        .description("Age of the oldest delta a remote region has not acknowledged")
        .tag("region", region)
        .register(registry);
    Gauge.builder(
            "meridian.gossip.last.exchange.seconds",
            this,
            v -> regionValue(region, RegionLag::lastExchangeMillis) / 1000.0)
        .description("When a remote region last acknowledged a shipment (epoch seconds)")
        .tag("region", region)
        .register(registry);
    FunctionCounter.builder(
            "meridian.gossip.sent.bytes", this, v -> regionValue(region, RegionLag::deltaBytesSent))
        .description("Bytes shipped to a remote region")
        .tags("region", region, "kind", "delta")
        .register(registry);
    FunctionCounter.builder(
            "meridian.gossip.sent.bytes",
            this,
            v -> regionValue(region, RegionLag::fullStateBytesSent))
        .tags("region", region, "kind", "full-state")
        .register(registry);
  }

  private double regionValue(String region, java.util.function.ToLongFunction<RegionLag> field) {
    ClusterStatus status = lastStatus;
    RegionLag lag = status == null ? null : status.regions().get(region);
    return lag == null ? 0 : field.applyAsLong(lag);
  }

  private void registerMetrics() {
    FunctionCounter.builder("meridian.hints.expired", this, v -> statusValue(s -> s.hintsExpired()))
        .description("Hints dropped after hints.ttlMs without being delivered")
        .register(registry);
    FunctionCounter.builder(
            "meridian.hints.obsolete", this, v -> statusValue(s -> s.hintsObsolete()))
        .description(
            "Hints dropped because their target left the ring (rebalancing re-replicates its ranges)")
        .register(registry);
    FunctionCounter.builder(
            "meridian.hints.delivered", this, v -> statusValue(s -> s.hintsDelivered()))
        .description("Hints replayed to and acknowledged by their target")
        .register(registry);
    FunctionCounter.builder("meridian.hints.dropped", this, v -> statusValue(s -> s.hintsDropped()))
        .description("Hints that could not be stored")
        .register(registry);
    for (MemberStatus status : MemberStatus.values()) {
      Gauge.builder("meridian.cluster.members", this, v -> membersIn(status))
          .description("Members by status, as this node sees them")
          .tag("status", status.apiName())
          .register(registry);
    }
  }

  private double statusValue(java.util.function.ToLongFunction<ClusterStatus> field) {
    ClusterStatus status = lastStatus;
    return status == null ? 0 : field.applyAsLong(status);
  }

  private double membersIn(MemberStatus wanted) {
    ClusterStatus status = lastStatus;
    return status == null ? 0 : status.members().stream().filter(m -> m.status() == wanted).count();
  }

  /**
   * A coordinator usable from any Vert.x context. A node running alone has no peers to coordinate
   * with: its client reads and writes go straight to the local replica.
   */
  public Coordinator coordinator() {
    Coordinator viaProtocol = protocolCoordinator();
    return membership.isPresent()
        ? viaProtocol
        : new LocalCoordinator(replica, config.replication(), viaProtocol);
  }

  /** A coordinator that runs every request on the protocol context of the {@link #node}. */
  private Coordinator protocolCoordinator() {
    return new Coordinator() {
      @Override
      public Future<Replicated<Mutation<?>>> write(
          DataKey key, Operation operation, Optional<Consistency> consistency) {
        return onProtocolContext(() -> node.write(key, operation, consistency));
      }

      @Override
      public Future<Replicated<Optional<Crdt<?>>>> read(
          DataKey key, Optional<Consistency> consistency) {
        return onProtocolContext(() -> node.read(key, consistency));
      }

      @Override
      public Future<Replicated<List<ReplicaCopy>>> explain(DataKey key) {
        String region = config.node().region();
        return onProtocolContext(
            () ->
                node.explain(key)
                    .map(
                        copies -> {
                          List<ReplicaCopy> result = new ArrayList<>();
                          copies.forEach(
                              (id, state) ->
                                  result.add(
                                      new ReplicaCopy(id, node.regionOf(id).orElse("?"), state)));
                          int answeredHere =
                              (int) result.stream().filter(c -> c.region().equals(region)).count();
                          int replicasHere =
                              node.preferenceLists(key).getOrDefault(region, List.of()).size();
                          return new Replicated<>(result, answeredHere, Math.max(1, replicasHere));
                        }));
      }
    };
  }

  @Override
  public Future<ClusterStatus> status() {
    return onProtocolContext(() -> Future.succeededFuture(node.status()));
  }

  @Override
  public Future<SortedMap<String, List<String>>> preferenceLists(DataKey key) {
    return onProtocolContext(() -> Future.succeededFuture(node.preferenceLists(key)));
  }

  @Override
  public Future<RepairProgress> startRepair(
      Optional<io.meridian.core.Keyspace> keyspace, Optional<String> peer, boolean dryRun) {
    return onProtocolContext(
        () -> Future.succeededFuture(node.startRepair(keyspace, peer, dryRun)));
  }

  @Override
  public Future<Optional<RepairProgress>> repairProgress(String id) {
    return onProtocolContext(() -> Future.succeededFuture(node.repairProgress(id)));
  }

  private <T> Future<T> onProtocolContext(Supplier<Future<T>> call) {
    Context caller = Vertx.currentContext();
    Promise<T> promise = Promise.promise();
    context.runOnContext(
        v ->
            call.get()
                .onComplete(
                    (result, failure) -> {
                      Runnable complete =
                          () -> {
                            if (failure == null) {
                              promise.complete(result);
                            } else {
                              promise.fail(failure);
                            }
                          };
                      if (caller == null || caller == context) {
                        complete.run();
                      } else {
                        caller.runOnContext(x -> complete.run());
                      }
                    }));
    return promise.future();
  }
}
