package io.meridian.replication.strong;

import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A {@link Store} that forwards every call to another; tests override the calls they change. */
class ForwardingStore implements Store {
  private final Store store;

  ForwardingStore(Store store) {
    this.store = store;
  }

  @Override
  public <R> CompletableFuture<R> update(Table table, byte[] key, StoreUpdate<R> update) {
    return store.update(table, key, update);
  }

  @Override
  public CompletableFuture<Optional<byte[]>> get(Table table, byte[] key) {
    return store.get(table, key);
  }

  @Override
  public Optional<byte[]> getNow(Table table, byte[] key) {
    return store.getNow(table, key);
  }

  @Override
  public CompletableFuture<List<Entry>> scan(
      Table table, byte[] fromInclusive, byte[] toExclusive, int limit) {
    return store.scan(table, fromInclusive, toExclusive, limit);
  }

  @Override
  public CompletableFuture<Boolean> quarantine(Table table, byte[] key) {
    return store.quarantine(table, key);
  }

  @Override
  public void close() {
    store.close();
  }
}
