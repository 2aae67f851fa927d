package io.meridian.replication.strong;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.meridian.replication.HazelcastCluster;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the nodes of a cluster come to one {@link Placement}: nodes that see different member lists
 * would compute different ones, so the first placement proposed wins. A node proposes one once it
 * has seen the same {@code >= 3} members (with Raft addresses) for {@link #SETTLE_MILLIS}, with
 * Hazelcast {@code putIfAbsent} on one map entry; every node then takes whatever that entry holds.
 * A node that already has a placement (persisted from an earlier run) proposes it at once, so a
 * restarted cluster keeps its groups.
 *
 * <p>Blocking (Hazelcast calls): run it on a thread of its own, never an event loop.
 */
final class PlacementAgreement {
  private static final Logger log = LoggerFactory.getLogger(PlacementAgreement.class);
  static final String MAP = "meridian.strong.placement";
  static final String ENTRY = "current";
  static final long SETTLE_MILLIS = 3_000;

  private final HazelcastInstance hazelcast;
  private final int groups;
  private final LongSupplier clock;
  private Set<RaftMember> lastSeen = Set.of();
  private long lastChangeMillis;

  PlacementAgreement(HazelcastInstance hazelcast, int groups, LongSupplier clock) {
    this.hazelcast = hazelcast;
    this.groups = groups;
    this.clock = clock;
    this.lastChangeMillis = clock.getAsLong();
  }

  /** Publishes a placement this node already had; returns the one the cluster agreed on. */
  Placement publish(Placement local) {
    String winner = map().putIfAbsent(ENTRY, local.toJson().encode());
    if (winner != null && !winner.equals(local.toJson().encode())) {
      Placement agreed = Placement.fromJson(new JsonObject(winner));
      if (!agreed.id().equals(local.id())) {
        log.warn(
            "the cluster's strong-key placement {} differs from this node's {}; keeping this"
                + " node's (its Raft groups are on disk)",
            agreed.id(),
            local.id());
      }
    }
    return local;
  }

  /** One attempt: the agreed placement, if there is one or this node could propose it now. */
  Optional<Placement> tryAgree() {
    String published = map().get(ENTRY);
    if (published != null) {
      return Optional.of(Placement.fromJson(new JsonObject(published)));
    }
    Set<RaftMember> members = members();
    long now = clock.getAsLong();
    if (!members.equals(lastSeen)) {
      lastSeen = members;
      lastChangeMillis = now;
      return Optional.empty();
    }
    if (members.size() < Placement.VOTERS || now - lastChangeMillis < SETTLE_MILLIS) {
      return Optional.empty();
    }
    Placement proposal = Placement.compute(groups, List.copyOf(members));
    String winner = map().putIfAbsent(ENTRY, proposal.toJson().encode());
    Placement agreed = winner == null ? proposal : Placement.fromJson(new JsonObject(winner));
    log.info(
        "strong keys: placement {} agreed over {} members ({} groups)",
        agreed.id(),
        members.size(),
        agreed.groups().size());
    return Optional.of(agreed);
  }

  /** The members that publish a Raft address, by id. */
  Set<RaftMember> members() {
    Set<RaftMember> members =
        new TreeSet<>(
            Comparator.comparing(RaftMember::id)
                .thenComparing(RaftMember::region)
                .thenComparing(RaftMember::address));
    for (Member member : hazelcast.getCluster().getMembers()) {
      String id = member.getAttribute(HazelcastCluster.ID_ATTRIBUTE);
      String region = member.getAttribute(HazelcastCluster.REGION_ATTRIBUTE);
      String raft = member.getAttribute(HazelcastCluster.RAFT_ATTRIBUTE);
      if (id != null && region != null && raft != null) {
        members.add(new RaftMember(id, region, raft));
      }
    }
    return members;
  }

  private IMap<String, String> map() {
    return Objects.requireNonNull(hazelcast.getMap(MAP));
  }
}
