package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hinted handoff (DeCandia et al., "Dynamo", SOSP 2007): a delta meant for a replica that is not
 * up, or that did not acknowledge in time, is kept durably in the {@code hints} table under the
 * target's id and a sequence number, and replayed to it in order once it is up again — a bounded
 * batch at a time, at most {@code hints.maxBatchesPerSecond} batches per target, each deleted only
 * after the target acknowledged it durably. Replaying a hint twice is harmless: deltas are joined.
 *
 * <p>Hints older than {@code hints.ttlMs} are dropped (counted in {@link #expired()}) and the
 * target is reported, so that a targeted anti-entropy repair restores what they carried. Hints for
 * a target that left the ring are dropped whatever their age (counted in {@link #obsolete()}): its
 * ranges now belong to other replicas, which the rebalance repair brings up to date.
 */
final class HintedHandoff {
  private static final Logger log = LoggerFactory.getLogger(HintedHandoff.class);
  private static final long SWEEP_INTERVAL_MILLIS = 5_000;
  private static final int LOAD_BATCH = 10_000;

  private final NodeRuntime runtime;
  private final Store store;
  private final MeridianConfig.Hints config;
  private final long deliveryTimeoutMillis;
  private final Predicate<String> isUp;
  private final Predicate<String> inRing;
  private final java.util.function.Consumer<String> onExpired;
  private final Map<String, Long> pending = new TreeMap<>();
  private final Map<String, Delivery> inFlight = new HashMap<>();
  private final Map<String, Long> lastScan = new HashMap<>();
  private final Set<String> busy = new HashSet<>();
  private long nextSequence = 1;
  private long nextDeliveryId = 1;
  private long expired;
  private long obsolete;
  private long dropped;
  private long delivered;

  HintedHandoff(
      NodeRuntime runtime,
      Store store,
      MeridianConfig.Hints config,
      long deliveryTimeoutMillis,
      Predicate<String> isUp,
      Predicate<String> inRing,
      java.util.function.Consumer<String> onExpired) {
    this.runtime = runtime;
    this.store = store;
    this.config = config;
    this.deliveryTimeoutMillis = deliveryTimeoutMillis;
    this.isUp = isUp;
    this.inRing = inRing;
    this.onExpired = onExpired;
  }

  /** Counts the hints a previous run left behind, so they are replayed and reported. */
  Future<Void> load() {
    return loadFrom(new byte[] {0});
  }

  private Future<Void> loadFrom(byte[] from) {
    return runtime
        .onNode(store.scan(Table.HINTS, from, new byte[] {(byte) 0xFF}, LOAD_BATCH))
        .compose(
            entries -> {
              for (Store.Entry entry : entries) {
                SequenceKey key = SequenceKey.parse(entry.key());
                pending.merge(key.stream(), 1L, Long::sum);
                nextSequence = Math.max(nextSequence, key.sequence() + 1);
              }
              if (entries.size() < LOAD_BATCH) {
                return Future.succeededFuture();
              }
              byte[] last = entries.get(entries.size() - 1).key();
              byte[] next = Arrays.copyOf(last, last.length + 1);
              return loadFrom(next);
            });
  }

  /** Keeps {@code delta} for {@code target} durably; failures are logged and counted. */
  Future<Void> store(String target, DataKey key, Crdt<?> delta) {
    byte[] hintKey = new SequenceKey(target, nextSequence++).encode();
    byte[] value = new StoredDelta(runtime.now(), key, delta).encode();
    return runtime
        .onNode(store.update(Table.HINTS, hintKey, current -> StoreUpdate.Outcome.write(value, 0)))
        .<Void>map(
            stored -> {
              pending.merge(target, 1L, Long::sum);
              return null;
            })
        .onFailure(
            failure -> {
              dropped++;
              log.warn("could not store a hint for {}: {}", target, failure.toString());
            });
  }

  /** Replays hints to targets that are up, and drops expired hints of the others. */
  void onTick(long now) {
    long minInterval = Math.max(1, 1000 / config.maxBatchesPerSecond());
    for (Map.Entry<String, Long> entry : new ArrayList<>(pending.entrySet())) {
      String target = entry.getKey();
      Delivery delivery = inFlight.get(target);
      if (delivery != null && now - delivery.sentAtMillis() > deliveryTimeoutMillis) {
        inFlight.remove(target);
      }
      if (entry.getValue() <= 0 || inFlight.containsKey(target) || busy.contains(target)) {
        continue;
      }
      boolean up = isUp.test(target);
      boolean obsolete = !inRing.test(target);
      long since = now - lastScan.getOrDefault(target, Long.MIN_VALUE / 2);
      if (since < (up || obsolete ? minInterval : SWEEP_INTERVAL_MILLIS)) {
        continue;
      }
      lastScan.put(target, now);
      scan(target, up && !obsolete, obsolete);
    }
  }

  /**
   * Reads a batch of {@code target}'s hints: delivers the live ones if {@code deliver}, and drops
   * the expired ones — or all of them if the target left the ring ({@code targetLeftRing}), since
   * its ranges now belong to other replicas, which anti-entropy brings up to date.
   */
  private void scan(String target, boolean deliver, boolean targetLeftRing) {
    busy.add(target);
    runtime
        .onNode(
            store.scan(
                Table.HINTS,
                SequenceKey.streamStart(target),
                SequenceKey.streamEnd(target),
                config.batchSize()))
        .compose(
            entries -> {
              long oldestLive = runtime.now() - config.ttlMs();
              List<byte[]> stale = new ArrayList<>();
              List<byte[]> liveKeys = new ArrayList<>();
              List<PeerMessage.KeyedDelta> live = new ArrayList<>();
              for (Store.Entry entry : entries) {
                StoredDelta hint = StoredDelta.decode(entry.value());
                if (targetLeftRing || hint.createdAtMillis() < oldestLive) {
                  stale.add(entry.key());
                } else if (deliver) {
                  liveKeys.add(entry.key());
                  live.add(new PeerMessage.KeyedDelta(hint.key(), hint.delta()));
                }
              }
              if (!live.isEmpty()) {
                long id = nextDeliveryId++;
                inFlight.put(target, new Delivery(id, liveKeys, runtime.now()));
                runtime.send(target, new PeerMessage.HintDelivery(id, live));
              }
              return delete(target, stale)
                  .onSuccess(
                      count -> {
                        if (targetLeftRing) {
                          obsolete += count; // the rebalance repair covers the target's ranges
                        } else {
                          expired += count;
                          if (count > 0) {
                            onExpired.accept(target);
                          }
                        }
                      });
            })
        .onComplete(
            done -> {
              busy.remove(target);
              if (done.failed()) {
                log.warn("hint replay to {} failed: {}", target, done.cause().toString());
              }
            });
  }

  /** The target has durably joined a delivery: its hints can go. */
  void onDeliveryAck(String from, long deliveryId) {
    Delivery delivery = inFlight.get(from);
    if (delivery == null || delivery.id() != deliveryId) {
      return;
    }
    inFlight.remove(from);
    busy.add(from);
    delete(from, delivery.hintKeys())
        .onSuccess(count -> delivered += count)
        .onComplete(done -> busy.remove(from));
  }

  private Future<Integer> delete(String target, List<byte[]> keys) {
    List<Future<Integer>> deletions = new ArrayList<>(keys.size());
    for (byte[] key : keys) {
      deletions.add(
          runtime.onNode(
              store.update(
                  Table.HINTS,
                  key,
                  current ->
                      current.isPresent()
                          ? StoreUpdate.Outcome.delete(1)
                          : StoreUpdate.Outcome.unchanged(0))));
    }
    return Future.all(deletions)
        .map(
            all -> {
              int count = 0;
              for (int i = 0; i < deletions.size(); i++) {
                count += deletions.get(i).result();
              }
              pending.merge(target, (long) -count, Long::sum);
              return count;
            });
  }

  long pending(String target) {
    return Math.max(0, pending.getOrDefault(target, 0L));
  }

  long pendingTotal() {
    return pending.values().stream().mapToLong(v -> Math.max(0, v)).sum();
  }

  /** Pending hints per target, including targets with none left, sorted by target. */
  Map<String, Long> pendingByTarget() {
    Map<String, Long> copy = new TreeMap<>();
    pending.forEach((target, count) -> copy.put(target, Math.max(0, count)));
    return copy;
  }

  long expired() {
    return expired;
  }

  long obsolete() {
    return obsolete;
  }

  long dropped() {
    return dropped;
  }

  long delivered() {
    return delivered;
  }

  private record Delivery(long id, List<byte[]> hintKeys, long sentAtMillis) {}
}
