package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.Ring;
import io.meridian.core.config.MeridianConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * This node's view of the cluster: who the members are, which are joined right now, how overdue
 * each one's heartbeats are, and the ring that places keys on them. Deterministic and I/O-free —
 * the membership layer (Hazelcast in production, the simulator in tests) reports joins and leaves,
 * the heartbeat exchange reports arrivals, and time is passed in.
 *
 * <p>The ring is sticky: a member that leaves stays on the ring (its keys are hinted, not moved),
 * so a crash, a restart or a short partition does not reshuffle data. Only a member that has been
 * gone for {@code failureDetector.cooldownMs} is taken off the ring, and a member that joins (or
 * returns) goes on it; either change is reported so ranges can be rebalanced.
 */
public final class Membership {
  private final Member self;
  private final MeridianConfig.FailureDetector settings;
  private final Map<String, Member> members = new TreeMap<>();
  private final Set<String> joined = new HashSet<>();
  private final Map<String, PhiAccrualDetector> detectors = new HashMap<>();
  private final Map<String, Long> absentSince = new HashMap<>();
  private Ring ring;

  public Membership(Member self, int vnodes, MeridianConfig.FailureDetector settings) {
    this.self = self;
    this.settings = settings;
    this.ring = Ring.empty(vnodes);
    memberJoined(self);
  }

  public Member self() {
    return self;
  }

  /**
   * A member joined (or re-joined after a restart): it goes on the ring; detection restarts.
   *
   * @return whether the ring changed
   */
  public boolean memberJoined(Member member) {
    members.put(member.id(), member);
    joined.add(member.id());
    absentSince.remove(member.id());
    if (!member.id().equals(self.id())) {
      detectors.put(member.id(), newDetector());
    }
    Ring.Node node = new Ring.Node(member.id(), member.region());
    if (ring.nodes().contains(node)) {
      return false;
    }
    ring = ring.without(member.id()).with(node);
    return true;
  }

  /**
   * Takes members that have been gone for the cooldown off the ring.
   *
   * @return the members taken off, if any (the ring changed)
   */
  public List<String> onTick(long nowMillis) {
    List<String> takenOff = new ArrayList<>();
    for (Ring.Node node : List.copyOf(ring.nodes())) {
      String id = node.id();
      if (id.equals(self.id()) || joined.contains(id)) {
        absentSince.remove(id);
        continue;
      }
      long since = absentSince.computeIfAbsent(id, absent -> nowMillis);
      if (nowMillis - since >= settings.cooldownMs()) {
        ring = ring.without(id);
        takenOff.add(id);
      }
    }
    return takenOff;
  }

  /** Whether {@code id} is on the ring (places keys). */
  public boolean inRing(String id) {
    return ring.nodes().stream().anyMatch(node -> node.id().equals(id));
  }

  /**
   * A member left the membership (crash, shutdown, partition): routed around until it returns. Its
   * detector stays, so its φ goes on rising with the silence (an operator reading the status sees
   * how long it has been gone); a return starts a new one.
   */
  public void memberLeft(String id) {
    if (!id.equals(self.id())) {
      joined.remove(id);
    }
  }

  /**
   * A member known from a previous run (persisted) but not joined now: it goes on the ring, so keys
   * keep their places and writes for it are hinted, until the cooldown takes it off.
   */
  public void memberRemembered(Member member) {
    if (members.containsKey(member.id())) {
      return;
    }
    members.put(member.id(), member);
    ring = ring.with(new Ring.Node(member.id(), member.region()));
  }

  /** This node was paused (its ticks stopped): no peer is to blame for the silence. */
  public void forgiveLocalPause(long nowMillis) {
    detectors.values().forEach(detector -> detector.forgivePauseUntil(nowMillis));
  }

  /** A heartbeat (or any proof of life) arrived from {@code id} at {@code nowMillis}. */
  public void heartbeatFrom(String id, long nowMillis) {
    PhiAccrualDetector detector = detectors.get(id);
    if (detector != null) {
      detector.heartbeat(nowMillis);
    }
  }

  public MemberStatus status(String id, long nowMillis) {
    if (id.equals(self.id())) {
      return MemberStatus.UP;
    }
    PhiAccrualDetector detector = detectors.get(id);
    if (!joined.contains(id) || detector == null || detector.lastHeartbeatMillis() < 0) {
      return MemberStatus.DOWN;
    }
    return detector.isAvailable(nowMillis) ? MemberStatus.UP : MemberStatus.SUSPECT;
  }

  public boolean isUp(String id, long nowMillis) {
    return status(id, nowMillis) == MemberStatus.UP;
  }

  /**
   * The suspicion level of a peer, also after it left; 0 for this node and for peers not heard from
   * in this run.
   */
  public double phi(String id, long nowMillis) {
    PhiAccrualDetector detector = detectors.get(id);
    return detector == null ? 0.0 : detector.phi(nowMillis);
  }

  /** Every member ever seen (joined or not), by id. */
  public Collection<Member> members() {
    return Collections.unmodifiableCollection(members.values());
  }

  /** Members currently joined, other than this node: the peers to heartbeat. */
  public List<String> joinedPeers() {
    return joined.stream().filter(id -> !id.equals(self.id())).sorted().toList();
  }

  /** The replicas of {@code key} in this node's region, in preference order. */
  public List<String> preferenceList(DataKey key, int n) {
    return ring.preferenceList(key.token(), self.region(), n);
  }

  /** The replicas of {@code key} in every region. */
  public SortedMap<String, List<String>> preferenceLists(DataKey key, int n) {
    return ring.preferenceLists(key.token(), n);
  }

  /** The regions of known members other than this node's. */
  public java.util.SortedSet<String> remoteRegions() {
    java.util.SortedSet<String> regions = new java.util.TreeSet<>();
    for (Member member : members.values()) {
      if (!member.region().equals(self.region())) {
        regions.add(member.region());
      }
    }
    return regions;
  }

  /** The members of {@code region} that are up, in id order. */
  public List<String> upMembersOf(String region, long nowMillis) {
    return members.values().stream()
        .filter(m -> m.region().equals(region) && isUp(m.id(), nowMillis))
        .map(Member::id)
        .toList();
  }

  /** The region of a known member. */
  public java.util.Optional<String> regionOf(String id) {
    return java.util.Optional.ofNullable(members.get(id)).map(Member::region);
  }

  /** The tokens whose keys {@code id} replicates (in its region), normalized. */
  public List<long[]> rangesReplicatedBy(String id, int n) {
    List<long[]> ranges = new ArrayList<>();
    for (Ring.Arc arc : ring.arcs(n)) {
      if (arc.isReplicatedBy(id)) {
        ranges.add(new long[] {arc.first(), arc.last()});
      }
    }
    return TokenRanges.normalized(ranges);
  }

  /** The token space cut into arcs with constant replicas in every region. */
  public List<Ring.Arc> arcs(int n) {
    return ring.arcs(n);
  }

  private PhiAccrualDetector newDetector() {
    return new PhiAccrualDetector(
        settings.phiThreshold(),
        1000,
        settings.minStdDeviationMs(),
        settings.acceptablePauseMs(),
        settings.heartbeatIntervalMs());
  }
}
