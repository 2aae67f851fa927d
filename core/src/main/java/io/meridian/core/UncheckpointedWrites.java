package io.meridian.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The latest value of every key written since the last checkpoint: durable in the {@link
 * WriteAheadLog}, not yet committed to LMDB, so readers (which see LMDB's last commit) look here
 * first. A delete is kept, as a change without a value, until the checkpoint.
 *
 * <p>The storage writer records and clears; readers look up concurrently. A reader must look here
 * before it opens its LMDB read transaction: the writer clears only after the checkpoint's commit,
 * so a reader that misses here opens a transaction that sees that commit.
 */
final class UncheckpointedWrites {
  private final Map<Table, ConcurrentSkipListMap<byte[], WriteAheadLog.Change>> byTable =
      new EnumMap<>(Table.class);

  UncheckpointedWrites() {
    for (Table table : Table.values()) {
      byTable.put(table, new ConcurrentSkipListMap<>(Arrays::compareUnsigned));
    }
  }

  void record(List<WriteAheadLog.Change> changes) {
    for (WriteAheadLog.Change change : changes) {
      byTable.get(change.table()).put(change.key(), change);
    }
  }

  /** The latest write of {@code key} (its framed value null for a delete), or null if none. */
  WriteAheadLog.Change lookup(Table table, byte[] key) {
    return byTable.get(table).get(key);
  }

  /** A copy of the writes with {@code from <= key < to}, in unsigned key order. */
  List<WriteAheadLog.Change> range(Table table, byte[] from, byte[] to) {
    return Arrays.compareUnsigned(from, to) < 0
        ? List.copyOf(byTable.get(table).subMap(from, true, to, false).values())
        : List.of();
  }

  boolean isEmpty() {
    return byTable.values().stream().allMatch(Map::isEmpty);
  }

  /** Every write, for re-applying them to a new transaction. */
  List<WriteAheadLog.Change> changes() {
    List<WriteAheadLog.Change> changes = new ArrayList<>();
    byTable.values().forEach(writes -> changes.addAll(writes.values()));
    return changes;
  }

  void clear() {
    byTable.values().forEach(Map::clear);
  }
}
