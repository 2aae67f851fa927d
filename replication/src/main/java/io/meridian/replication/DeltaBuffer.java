package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.crdt.Crdt;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durable outgoing delta buffers of this node, one per remote region (the δ-buffer of the
 * delta-interval anti-entropy algorithm of Almeida, Shoker and Baquero): every delta this node
 * produced for a client write is appended, with a sequence number, to the buffer of each other
 * region, in the {@code deltas} table; a shipment covers a prefix of a buffer and an
 * acknowledgement truncates it. Buffers are bounded: past {@code gossip.bufferMaxEntries} the
 * oldest entries are dropped and the region is reported as needing a Merkle repair instead.
 */
final class DeltaBuffer {
  private static final int LOAD_BATCH = 10_000;

  private final NodeRuntime runtime;
  private final Store store;
  private final int maxEntries;
  private final Map<String, Backlog> backlogs = new TreeMap<>();
  private long nextSequence = 1;

  /** What one region's buffer holds. */
  static final class Backlog {
    long entries;
    long bytes;
    long oldestCreatedAtMillis;
    boolean overflowed;
  }

  /** One buffered delta, with where it is stored. */
  record Entry(byte[] storeKey, StoredDelta delta, int bytes) {}

  DeltaBuffer(NodeRuntime runtime, Store store, int maxEntries) {
    this.runtime = runtime;
    this.store = store;
    this.maxEntries = maxEntries;
  }

  /** Counts what a previous run left in the buffers. */
  Future<Void> load() {
    return loadFrom(new byte[] {0});
  }

  private Future<Void> loadFrom(byte[] from) {
    return runtime
        .onNode(store.scan(Table.DELTAS, from, new byte[] {(byte) 0xFF}, LOAD_BATCH))
        .compose(
            entries -> {
              for (Store.Entry entry : entries) {
                SequenceKey key = SequenceKey.parse(entry.key());
                Backlog backlog = backlog(key.stream());
                backlog.entries++;
                backlog.bytes += entry.value().length;
                if (backlog.oldestCreatedAtMillis == 0) {
                  backlog.oldestCreatedAtMillis =
                      StoredDelta.decode(entry.value()).createdAtMillis();
                }
                nextSequence = Math.max(nextSequence, key.sequence() + 1);
              }
              if (entries.size() < LOAD_BATCH) {
                return Future.succeededFuture();
              }
              byte[] last = entries.get(entries.size() - 1).key();
              return loadFrom(Arrays.copyOf(last, last.length + 1));
            });
  }

  /** Appends {@code delta} to the buffer of every region in {@code regions}, durably. */
  Future<Void> append(Collection<String> regions, DataKey key, Crdt<?> delta) {
    if (regions.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = runtime.now();
    byte[] value = new StoredDelta(now, key, delta).encode();
    List<Future<Integer>> writes = new ArrayList<>(regions.size());
    for (String region : regions) {
      byte[] storeKey = new SequenceKey(region, nextSequence++).encode();
      Backlog backlog = backlog(region);
      backlog.entries++;
      backlog.bytes += value.length;
      if (backlog.oldestCreatedAtMillis == 0) {
        backlog.oldestCreatedAtMillis = now;
      }
      writes.add(
          runtime.onNode(
              store.update(
                  Table.DELTAS, storeKey, current -> StoreUpdate.Outcome.write(value, 0))));
    }
    return Future.all(writes).mapEmpty();
  }

  /** The oldest entries of a region's buffer, up to about {@code maxBytes} of them. */
  Future<List<Entry>> oldest(String region, int maxBytes, int maxEntries) {
    return runtime
        .onNode(
            store.scan(
                Table.DELTAS,
                SequenceKey.streamStart(region),
                SequenceKey.streamEnd(region),
                maxEntries))
        .map(
            stored -> {
              List<Entry> entries = new ArrayList<>();
              long bytes = 0;
              for (Store.Entry entry : stored) {
                if (entry.corrupt()) {
                  continue;
                }
                if (!entries.isEmpty() && bytes + entry.value().length > maxBytes) {
                  break;
                }
                bytes += entry.value().length;
                entries.add(
                    new Entry(
                        entry.key(), StoredDelta.decode(entry.value()), entry.value().length));
              }
              Backlog backlog = backlog(region);
              backlog.oldestCreatedAtMillis =
                  entries.isEmpty() ? 0 : entries.get(0).delta().createdAtMillis();
              return entries;
            });
  }

  /** Drops shipped (acknowledged) or overflowing entries of a region's buffer, durably. */
  Future<Void> remove(String region, List<Entry> entries) {
    List<Future<Integer>> deletions = new ArrayList<>(entries.size());
    for (Entry entry : entries) {
      deletions.add(
          runtime.onNode(
              store.update(
                  Table.DELTAS,
                  entry.storeKey(),
                  current ->
                      current.isPresent()
                          ? StoreUpdate.Outcome.delete(entry.bytes())
                          : StoreUpdate.Outcome.unchanged(-1))));
    }
    return Future.all(deletions)
        .map(
            all -> {
              Backlog backlog = backlog(region);
              for (Future<Integer> deletion : deletions) {
                if (deletion.result() >= 0) {
                  backlog.entries--;
                  backlog.bytes -= deletion.result();
                }
              }
              if (backlog.entries <= 0) {
                backlog.entries = 0;
                backlog.bytes = 0;
                backlog.oldestCreatedAtMillis = 0;
              }
              return null;
            });
  }

  /** Whether a region's buffer holds more than it may; the caller drops the oldest. */
  boolean overflowing(String region) {
    return backlog(region).entries > maxEntries;
  }

  Backlog backlog(String region) {
    return backlogs.computeIfAbsent(region, r -> new Backlog());
  }

  Map<String, Backlog> backlogs() {
    return backlogs;
  }
}
