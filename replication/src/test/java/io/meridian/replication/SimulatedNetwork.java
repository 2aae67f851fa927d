package io.meridian.replication;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A seeded network between simulated nodes (after TigerBeetle's packet simulator): each message is
 * delayed by a random time in {@code [minDelay, maxDelay]} — so messages reorder — lost with
 * probability {@code loss}, delivered twice with probability {@code duplication}, and dropped while
 * its endpoints are partitioned. Every message goes through {@link PeerCodec}, so the wire format
 * is exercised too.
 */
final class SimulatedNetwork {
  /** Fault settings of the network. */
  record Options(long minDelayMillis, long maxDelayMillis, double loss, double duplication) {
    static Options reliable() {
      return new Options(1, 5, 0, 0);
    }

    static Options faulty() {
      return new Options(1, 40, 0.05, 0.05);
    }
  }

  private final Simulation simulation;
  private final Options options;
  private final Map<String, BiConsumer<String, PeerMessage>> receivers = new HashMap<>();
  private final Set<Set<String>> cutLinks = new HashSet<>();
  private long sent;
  private long delivered;
  private java.util.function.Consumer<PeerMessage> observer = message -> {};

  SimulatedNetwork(Simulation simulation, Options options) {
    this.simulation = simulation;
    this.options = options;
  }

  /** Attaches a node: messages to {@code nodeId} are handed to {@code receiver(from, message)}. */
  void attach(String nodeId, BiConsumer<String, PeerMessage> receiver) {
    receivers.put(nodeId, receiver);
  }

  /** Detaches a node (crashed): messages to it are lost. */
  void detach(String nodeId) {
    receivers.remove(nodeId);
  }

  Transport transportOf(String from) {
    return (to, message) -> send(from, to, message);
  }

  /** Cuts every link between a node of {@code side} and a node outside it. */
  void partition(Set<String> side, Set<String> allNodes) {
    for (String inside : side) {
      for (String outside : allNodes) {
        if (!side.contains(outside)) {
          cutLinks.add(Set.of(inside, outside));
        }
      }
    }
  }

  void heal() {
    cutLinks.clear();
  }

  /** Sees every message sent (before loss), for counting traffic in tests. */
  void observe(java.util.function.Consumer<PeerMessage> observer) {
    this.observer = observer;
  }

  long sent() {
    return sent;
  }

  long delivered() {
    return delivered;
  }

  private void send(String from, String to, PeerMessage message) {
    sent++;
    observer.accept(message);
    byte[] wire = PeerCodec.encode(from, message);
    if (cutLinks.contains(Set.of(from, to)) || simulation.random().nextDouble() < options.loss()) {
      return;
    }
    int copies = simulation.random().nextDouble() < options.duplication() ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      long delay =
          options.minDelayMillis()
              + simulation
                  .random()
                  .nextLong(options.maxDelayMillis() - options.minDelayMillis() + 1);
      simulation.schedule(delay, () -> deliver(from, to, wire));
    }
  }

  private void deliver(String from, String to, byte[] wire) {
    BiConsumer<String, PeerMessage> receiver = receivers.get(to);
    if (receiver == null || cutLinks.contains(Set.of(from, to))) {
      return;
    }
    delivered++;
    PeerCodec.Envelope envelope = PeerCodec.decode(wire);
    receiver.accept(envelope.from(), envelope.message());
  }
}
