package io.meridian.replication;

import java.util.Locale;

/** How this node currently sees a peer (API.md, {@code /v1/cluster/status}). */
public enum MemberStatus {
  /** Heard from recently: requests go to it. */
  UP,
  /** Still a member, but its heartbeats are overdue (phi above the threshold): routed around. */
  SUSPECT,
  /** Not a member right now (left, crashed, not yet heard from): routed around, hinted. */
  DOWN;

  /** The lower-case name used in the API. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
