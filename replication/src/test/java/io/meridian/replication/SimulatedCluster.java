package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.HybridLogicalClock;
import io.meridian.core.InMemoryStore;
import io.meridian.core.LocalReplica;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.ReplicaId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A whole cluster of {@link ReplicationNode}s — each with its own in-memory store, local replica
 * and clock — connected by a {@link SimulatedNetwork} and driven by one {@link Simulation}: no
 * threads, no sockets, reproducible from a seed.
 */
final class SimulatedCluster {
  static final long TICK_MILLIS = 50;

  private final Simulation simulation;
  private final SimulatedNetwork network;
  private final MeridianConfig config;
  private final Map<String, SimNode> nodes = new LinkedHashMap<>();
  private final java.util.Set<ReplicationNode> stopped =
      java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  private final Map<String, InMemoryStore> disks = new LinkedHashMap<>();
  private final Map<String, String> regionOf = new LinkedHashMap<>();

  /** One simulated node: its protocol, and its replica for inspection. */
  record SimNode(Member member, ReplicationNode protocol, LocalReplica replica) {}

  SimulatedCluster(
      Simulation simulation,
      SimulatedNetwork network,
      Map<String, String> regionByNode,
      List<String> configOverrides) {
    this.simulation = simulation;
    this.network = network;
    this.config = new ConfigLoader().load(Optional.empty(), configOverrides);
    regionByNode.forEach(this::addNode);
    for (SimNode node : nodes.values()) {
      for (SimNode other : nodes.values()) {
        node.protocol().memberJoined(other.member());
      }
    }
  }

  /** A new node joins the running cluster (as Hazelcast would report it everywhere). */
  void join(String id, String region) {
    addNode(id, region);
    SimNode joined = nodes.get(id);
    for (SimNode node : nodes.values()) {
      node.protocol().memberJoined(joined.member());
      joined.protocol().memberJoined(node.member());
    }
  }

  /**
   * A node crashes: it stops, loses everything but its disk, and the others see it leave the
   * membership.
   */
  void crash(String id) {
    network.detach(id);
    SimNode crashed = nodes.remove(id);
    stopped.add(crashed.protocol());
    for (SimNode node : nodes.values()) {
      node.protocol().memberLeft(id);
    }
  }

  /** A crashed node starts again on its disk and rejoins. */
  void restart(String id) {
    addNode(id, regionOf.get(id));
    SimNode restarted = nodes.get(id);
    for (SimNode node : nodes.values()) {
      node.protocol().memberJoined(restarted.member());
      restarted.protocol().memberJoined(node.member());
    }
  }

  boolean isRunning(String id) {
    return nodes.containsKey(id);
  }

  private void addNode(String id, String region) {
    InMemoryStore store = disks.computeIfAbsent(id, disk -> new InMemoryStore());
    regionOf.put(id, region);
    HybridLogicalClock clock = new HybridLogicalClock(simulation::now);
    LocalReplica replica = new LocalReplica(store, new ReplicaId(id + ".sim"), clock);
    Member member = new Member(id, region, id + ":80");
    ReplicationNode protocol =
        new ReplicationNode(
            member,
            config,
            replica,
            store,
            network.transportOf(id),
            simulation::now,
            simulation.executor());
    protocol.start();
    network.attach(id, protocol::onMessage);
    nodes.put(id, new SimNode(member, protocol, replica));
    scheduleTicks(protocol);
  }

  private void scheduleTicks(ReplicationNode protocol) {
    simulation.schedule(
        TICK_MILLIS,
        () -> {
          if (!stopped.contains(protocol)) {
            protocol.onTick();
            scheduleTicks(protocol);
          }
        });
  }

  MeridianConfig config() {
    return config;
  }

  Set<String> nodeIds() {
    return nodes.keySet();
  }

  SimNode node(String id) {
    return nodes.get(id);
  }

  List<SimNode> nodes() {
    return new ArrayList<>(nodes.values());
  }

  /**
   * Every replica's own copy of {@code key} (what a consistency=one read there returns), in every
   * region.
   */
  Map<String, Optional<Crdt<?>>> copiesOf(DataKey key) {
    return copiesOf(key, region -> true);
  }

  /** The copies of {@code key} on its replicas in {@code region}. */
  Map<String, Optional<Crdt<?>>> copiesOf(DataKey key, String region) {
    return copiesOf(key, region::equals);
  }

  private Map<String, Optional<Crdt<?>>> copiesOf(
      DataKey key, java.util.function.Predicate<String> regions) {
    Map<String, Optional<Crdt<?>>> copies = new LinkedHashMap<>();
    String anyNode = nodes.keySet().iterator().next();
    nodes
        .get(anyNode)
        .protocol()
        .preferenceLists(key)
        .forEach(
            (region, replicas) -> {
              if (regions.test(region)) {
                for (String replicaId : replicas) {
                  copies.put(replicaId, nodes.get(replicaId).replica().read(key).join());
                }
              }
            });
    return copies;
  }

  /** Buffered deltas not yet acknowledged by the other regions, on every node. */
  long gossipBacklog() {
    return nodes.values().stream()
        .flatMap(n -> n.protocol().status().regions().values().stream())
        .mapToLong(RegionLag::backlogEntries)
        .sum();
  }

  long pendingHints() {
    return nodes.values().stream().mapToLong(n -> n.protocol().status().hintsPending()).sum();
  }
}
