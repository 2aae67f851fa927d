package io.meridian.replication;

/**
 * Sends a {@link PeerMessage} to another node, one way, at most once, with no delivery guarantee.
 * The Vert.x adapter sends over the clustered event bus; simulations drop, delay, duplicate and
 * reorder. Called only on the node's protocol context.
 */
@FunctionalInterface
public interface Transport {
  void send(String toNodeId, PeerMessage message);
}
