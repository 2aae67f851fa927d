package io.meridian.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Store} held in memory that completes every future before returning, on the caller's
 * thread. Deterministic simulations run whole clusters on it without threads; its contents survive
 * a simulated crash of the node that uses it, as a disk would.
 */
public final class InMemoryStore implements Store {
  private final Map<Table, NavigableMap<byte[], byte[]>> tables = new EnumMap<>(Table.class);
  private boolean closed;

  public InMemoryStore() {
    for (Table table : Table.values()) {
      tables.put(table, new TreeMap<>(Arrays::compareUnsigned));
    }
  }

  @Override
  public <R> CompletableFuture<R> update(Table table, byte[] key, StoreUpdate<R> update) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new StoreException(StoreException.Reason.CLOSED, "store is closed"));
    }
    NavigableMap<byte[], byte[]> map = tables.get(table);
    try {
      StoreUpdate.Outcome<R> outcome =
          update.apply(Optional.ofNullable(map.get(key)).map(byte[]::clone));
      switch (outcome.change()) {
        case PUT -> map.put(key.clone(), outcome.value().get().clone());
        case DELETE -> map.remove(key);
        case KEEP -> {}
      }
      return CompletableFuture.completedFuture(outcome.result());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Optional<byte[]>> get(Table table, byte[] key) {
    return CompletableFuture.completedFuture(
        Optional.ofNullable(tables.get(table).get(key)).map(byte[]::clone));
  }

  @Override
  public Optional<byte[]> getNow(Table table, byte[] key) {
    return get(table, key).join();
  }

  @Override
  public CompletableFuture<List<Entry>> scan(
      Table table, byte[] fromInclusive, byte[] toExclusive, int limit) {
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> entry :
        tables.get(table).subMap(fromInclusive, true, toExclusive, false).entrySet()) {
      if (entries.size() >= limit) {
        break;
      }
      entries.add(new Entry(entry.getKey().clone(), entry.getValue().clone()));
    }
    return CompletableFuture.completedFuture(entries);
  }

  @Override
  public CompletableFuture<Boolean> quarantine(Table table, byte[] key) {
    // Values held in memory cannot rot.
    return CompletableFuture.completedFuture(false);
  }

  /** Number of entries in {@code table}, for assertions. */
  public int size(Table table) {
    return tables.get(table).size();
  }

  @Override
  public void close() {
    closed = true;
  }
}
