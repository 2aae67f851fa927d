package io.meridian.replication.strong;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.meridian.replication.HazelcastCluster;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
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
 * has seen the same {@code >= 3} members (with Raft addresses) for {@link #SETTLE_MILLIS} and every
 * seed it was configured with has joined, with Hazelcast {@code putIfAbsent} on one map entry;
 * every node then takes whatever that entry holds. A node that already has a placement (persisted
 * from an earlier run) proposes it at once, so a restarted cluster keeps its groups.
 *
 * <p>Why wait for the seeds: a placement is made once and never redone, and its voters can only
 * span the regions of the members present. Nodes start one by one (slowly, when several JVMs share
 * a machine), so the first three members to settle are often of one region, and a placement over
 * them would put every group in that region: losing it would lose every group's majority. The seeds
 * are the cluster's initial members, as etcd's {@code --initial-cluster}. A seed that never joins
 * holds the placement back for at most {@link #SEEDS_GRACE_MILLIS}.
 *
 * <p>Blocking (Hazelcast calls, name resolution): run it on a thread of its own, never an event
 * loop.
 */
final class PlacementAgreement {
  private static final Logger log = LoggerFactory.getLogger(PlacementAgreement.class);
  static final String MAP = "meridian.strong.placement";
  static final String ENTRY = "current";
  static final long SETTLE_MILLIS = 3_000;
  static final long SEEDS_GRACE_MILLIS = 60_000;

  private final HazelcastInstance hazelcast;
  private final int groups;
  private final List<String> seeds;
  private final LongSupplier clock;
  private final long startMillis;
  private Set<RaftMember> lastSeen = Set.of();
  private long lastChangeMillis;
  private boolean reportedMissingSeeds;

  /**
   * @param seeds the {@code host:port} membership addresses this node was configured to join
   *     through
   */
  PlacementAgreement(
      HazelcastInstance hazelcast, int groups, List<String> seeds, LongSupplier clock) {
    this.hazelcast = hazelcast;
    this.groups = groups;
    this.seeds = List.copyOf(seeds);
    this.clock = clock;
    this.startMillis = clock.getAsLong();
    this.lastChangeMillis = startMillis;
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
    List<String> missing = missingSeeds();
    if (!mayPropose(members.size(), now - lastChangeMillis, missing.size(), now - startMillis)) {
      if (!missing.isEmpty() && members.size() >= Placement.VOTERS && !reportedMissingSeeds) {
        reportedMissingSeeds = true;
        log.info(
            "strong keys: waiting up to {} s for seeds {} to join before placing the Raft groups",
            SEEDS_GRACE_MILLIS / 1000,
            missing);
      }
      return Optional.empty();
    }
    if (!missing.isEmpty()) {
      log.warn(
          "strong keys: seeds {} did not join within {} s; placing the Raft groups without them",
          missing,
          SEEDS_GRACE_MILLIS / 1000);
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

  /**
   * Whether a node may propose the first placement: enough members, unchanged for {@link
   * #SETTLE_MILLIS}, and either every seed among them or {@link #SEEDS_GRACE_MILLIS} gone by.
   */
  static boolean mayPropose(int members, long settledMillis, int missingSeeds, long waitingMillis) {
    return members >= Placement.VOTERS
        && settledMillis >= SETTLE_MILLIS
        && (missingSeeds == 0 || waitingMillis >= SEEDS_GRACE_MILLIS);
  }

  private List<String> missingSeeds() {
    return missingSeeds(seeds, hazelcast.getCluster().getMembers());
  }

  /** The {@code seeds} not among {@code members}, compared by resolved address and port. */
  static List<String> missingSeeds(List<String> seeds, Collection<Member> members) {
    Set<String> joined = new HashSet<>();
    for (Member member : members) {
      Address address = member.getAddress();
      joined.add(address.getHost() + ":" + address.getPort());
      joined.add(resolved(address.getHost()) + ":" + address.getPort());
    }
    return seeds.stream()
        .filter(
            seed -> {
              int colon = seed.lastIndexOf(':');
              String resolvedSeed = resolved(seed.substring(0, colon)) + seed.substring(colon);
              return !joined.contains(seed) && !joined.contains(resolvedSeed);
            })
        .toList();
  }

  private static String resolved(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      return host;
    }
  }

  /**
   * The members that publish a Raft address, by id; of two members claiming one id (the younger is
   * on its way out, {@link HazelcastCluster#requireUniqueId}), the older.
   */
  Set<RaftMember> members() {
    Set<RaftMember> members =
        new TreeSet<>(
            Comparator.comparing(RaftMember::id)
                .thenComparing(RaftMember::region)
                .thenComparing(RaftMember::address));
    Set<String> ids = new HashSet<>();
    for (Member member : hazelcast.getCluster().getMembers()) { // oldest first
      String id = member.getAttribute(HazelcastCluster.ID_ATTRIBUTE);
      String region = member.getAttribute(HazelcastCluster.REGION_ATTRIBUTE);
      String raft = member.getAttribute(HazelcastCluster.RAFT_ATTRIBUTE);
      if (id != null && region != null && raft != null && ids.add(id)) {
        members.add(new RaftMember(id, region, raft));
      }
    }
    return members;
  }

  private IMap<String, String> map() {
    return Objects.requireNonNull(hazelcast.getMap(MAP));
  }
}
