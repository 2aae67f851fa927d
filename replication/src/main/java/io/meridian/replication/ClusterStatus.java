package io.meridian.replication;

import java.util.List;

/** A node's view of the cluster at one moment ({@code /v1/cluster/status}, metrics). */
public record ClusterStatus(
    Member self,
    List<MemberView> members,
    long hintsPending,
    long hintsDelivered,
    long hintsExpired,
    long hintsObsolete,
    long hintsDropped,
    java.util.Map<String, RegionLag> regions) {
  public ClusterStatus {
    members = List.copyOf(members);
    regions = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(regions));
  }

  /** One member as this node sees it. */
  public record MemberView(
      Member member, MemberStatus status, double phi, long hintsPending, boolean inRing) {}
}
