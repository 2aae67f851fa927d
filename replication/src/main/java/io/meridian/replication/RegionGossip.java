package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta-state gossip between regions (the delta-interval anti-entropy of Almeida, Shoker and
 * Baquero, "Delta State Replicated Data Types", JPDC 2018). Every {@code gossip.intervalMs} — or at
 * once after an acknowledgement while a backlog remains — this node ships, to one live node of each
 * remote region, the oldest prefix of that region's {@link DeltaBuffer} (byte-budgeted), with the
 * deltas of each key joined into one. The receiver joins them into its region's replicas of each
 * key and acknowledges once they are durable there; only then is the prefix truncated. Lost,
 * duplicated or reordered shipments are harmless (joins are idempotent) and an unacknowledged one
 * is resent, to another node of the region if the first stops answering.
 *
 * <p>Only deltas of client writes are buffered, by the coordinator that made them, and regions are
 * fully connected: a delta is never echoed back to the region it came from. A region whose buffer
 * overflowed (a long partition) is caught up by Merkle anti-entropy instead, and so is what a
 * coordinator that left had not shipped yet: its region's replicas of those writes compare their
 * ranges with the other regions when it leaves ({@link AntiEntropy#ensureRepairWithOtherRegions}).
 */
final class RegionGossip {
  private static final Logger log = LoggerFactory.getLogger(RegionGossip.class);
  private static final int MAX_ENTRIES_PER_SHIPMENT = 10_000;

  private final NodeRuntime runtime;
  private final Membership membership;
  private final DeltaBuffer buffer;
  private final QuorumCoordinator coordinator;
  private final MeridianConfig.Gossip config;
  private final long timeoutMillis;
  private final Consumer<String> repairRegion;
  private final Map<String, Link> links = new TreeMap<>();
  private long nextBatchId;

  /** The state of shipping to one remote region, and what it has shipped. */
  static final class Link {
    Shipment inFlight;
    boolean busy;
    boolean shipNow;
    int targetIndex;
    long lastShipMillis = Long.MIN_VALUE / 2;
    long lastAckMillis;
    long deltaBytesSent;
    long fullStateBytesSent;
    long shipments;
  }

  private record Shipment(
      long batchId, String target, List<DeltaBuffer.Entry> entries, long bytes, long sentMillis) {}

  RegionGossip(
      NodeRuntime runtime,
      Membership membership,
      DeltaBuffer buffer,
      QuorumCoordinator coordinator,
      MeridianConfig.Gossip config,
      long timeoutMillis,
      Consumer<String> repairRegion) {
    this.runtime = runtime;
    this.membership = membership;
    this.buffer = buffer;
    this.coordinator = coordinator;
    this.config = config;
    this.timeoutMillis = timeoutMillis;
    this.repairRegion = repairRegion;
    this.nextBatchId = runtime.now() << 20;
  }

  /**
   * Buffers the delta of a client write for every other region. Never fails the write: if the
   * buffer cannot take it, those regions get a Merkle repair instead.
   */
  Future<Void> onLocalWrite(DataKey key, Crdt<?> delta) {
    Set<String> regions = membership.remoteRegions();
    return buffer
        .append(regions, key, delta)
        .recover(
            failure -> {
              log.warn("could not buffer a delta for {}: {}", regions, failure.toString());
              regions.forEach(repairRegion);
              return Future.succeededFuture();
            });
  }

  void onTick(long now) {
    Set<String> regions = new TreeSet<>(membership.remoteRegions());
    regions.addAll(buffer.backlogs().keySet());
    for (String region : regions) {
      Link link = link(region);
      Shipment shipment = link.inFlight;
      if (shipment != null
          && (now - shipment.sentMillis() > timeoutMillis
              || !membership.isUp(shipment.target(), now))) {
        // Unanswered, or its target went away: resend (to another node of the region if the
        // first keeps failing). A resend duplicates nothing harmful; joins are idempotent.
        link.inFlight = null;
        link.targetIndex++;
      }
      if (link.inFlight != null || link.busy || buffer.backlog(region).entries == 0) {
        continue;
      }
      if (buffer.overflowing(region)) {
        dropOldest(region, link);
      } else if (link.shipNow || now - link.lastShipMillis >= config.intervalMs()) {
        ship(region, link, now);
      }
    }
  }

  private void ship(String region, Link link, long now) {
    List<String> targets = membership.upMembersOf(region, now);
    if (targets.isEmpty()) {
      return;
    }
    String target = targets.get(Math.floorMod(link.targetIndex, targets.size()));
    link.busy = true;
    link.shipNow = false;
    link.lastShipMillis = now;
    buffer
        .oldest(region, config.maxBatchBytes(), MAX_ENTRIES_PER_SHIPMENT)
        .onComplete(
            read -> {
              link.busy = false;
              if (read.failed() || read.result().isEmpty()) {
                return;
              }
              List<DeltaBuffer.Entry> entries = read.result();
              Map<DataKey, Crdt<?>> joined = new LinkedHashMap<>();
              long bytes = 0;
              for (DeltaBuffer.Entry entry : entries) {
                joined.merge(entry.delta().key(), entry.delta().delta(), Crdt::join);
                bytes += entry.bytes();
              }
              List<PeerMessage.KeyedDelta> deltas = new ArrayList<>(joined.size());
              joined.forEach((key, delta) -> deltas.add(new PeerMessage.KeyedDelta(key, delta)));
              long id = nextBatchId++;
              link.inFlight = new Shipment(id, target, entries, bytes, runtime.now());
              runtime.send(target, new PeerMessage.GossipBatch(id, deltas));
            });
  }

  private void dropOldest(String region, Link link) {
    link.busy = true;
    buffer
        .oldest(region, Integer.MAX_VALUE, MAX_ENTRIES_PER_SHIPMENT)
        .compose(entries -> buffer.remove(region, entries))
        .onComplete(
            done -> {
              link.busy = false;
              if (!buffer.backlog(region).overflowed) {
                buffer.backlog(region).overflowed = true;
                log.warn("delta buffer for region {} overflowed; repairing it instead", region);
              }
              repairRegion.accept(region);
            });
  }

  void onGossipAck(String from, long batchId) {
    for (Map.Entry<String, Link> entry : links.entrySet()) {
      Link link = entry.getValue();
      Shipment shipment = link.inFlight;
      if (shipment == null || shipment.batchId() != batchId || !shipment.target().equals(from)) {
        continue;
      }
      link.inFlight = null;
      link.busy = true;
      buffer
          .remove(entry.getKey(), shipment.entries())
          .onComplete(
              removed -> {
                link.busy = false;
                link.lastAckMillis = runtime.now();
                link.deltaBytesSent += shipment.bytes();
                link.shipments++;
                link.shipNow = buffer.backlog(entry.getKey()).entries > 0;
              });
      return;
    }
  }

  /** Deltas from another region: durable in this region's replicas, then acknowledged. */
  void onGossipBatch(String from, PeerMessage.GossipBatch batch) {
    List<Future<Void>> merges = new ArrayList<>(batch.deltas().size());
    for (PeerMessage.KeyedDelta delta : batch.deltas()) {
      merges.add(coordinator.mergeInRegion(delta.key(), delta.delta()));
    }
    Future.all(merges)
        .onSuccess(all -> runtime.send(from, new PeerMessage.GossipAck(batch.batchId())));
  }

  /** Anti-entropy shipped full states to a peer: counted against that peer's region. */
  void recordFullState(String peer, long bytes) {
    membership
        .regionOf(peer)
        .filter(region -> !region.equals(membership.self().region()))
        .ifPresent(region -> link(region).fullStateBytesSent += bytes);
  }

  /** What shipping to each remote region looks like now. */
  Map<String, RegionLag> lag(long now) {
    Map<String, RegionLag> lag = new TreeMap<>();
    Set<String> regions = new TreeSet<>(membership.remoteRegions());
    regions.addAll(buffer.backlogs().keySet());
    for (String region : regions) {
      Link link = link(region);
      DeltaBuffer.Backlog backlog = buffer.backlog(region);
      lag.put(
          region,
          new RegionLag(
              backlog.entries,
              backlog.bytes,
              backlog.oldestCreatedAtMillis == 0 ? 0 : now - backlog.oldestCreatedAtMillis,
              link.lastAckMillis,
              link.deltaBytesSent,
              link.fullStateBytesSent,
              link.shipments));
    }
    return lag;
  }

  private Link link(String region) {
    return links.computeIfAbsent(region, r -> new Link());
  }
}
