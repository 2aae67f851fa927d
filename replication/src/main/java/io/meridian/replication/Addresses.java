package io.meridian.replication;

/** Event-bus addresses of the replication module. */
final class Addresses {
  private Addresses() {}

  /** Where a node receives {@link PeerMessage}s from its peers. */
  static String peer(String nodeId) {
    return "meridian.peer." + nodeId;
  }
}
