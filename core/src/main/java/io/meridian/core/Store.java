package io.meridian.core;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A node's durable key-value storage. Updates are serialised through one writer and acknowledged
 * only after the transaction holding them has committed durably; reads never wait for the writer.
 * Futures complete on storage threads: callers on an event loop hop back to their context.
 */
public interface Store extends AutoCloseable {

  /**
   * Runs {@code update} on the value under {@code key} and completes after its commit, a durable
   * one unless the table is not {@linkplain Table#syncedOnCommit() synced on commit}.
   */
  <R> CompletableFuture<R> update(Table table, byte[] key, StoreUpdate<R> update);

  /** The committed value under {@code key}, checksum-verified. */
  CompletableFuture<Optional<byte[]>> get(Table table, byte[] key);

  /**
   * What {@link #get} completes with, read on the calling thread: for a thread that may wait for
   * the disk (never an event loop) and would otherwise wait for a reader thread's hand-off.
   *
   * @throws StoreException when the store is closing
   */
  Optional<byte[]> getNow(Table table, byte[] key);

  /**
   * Up to {@code limit} committed entries with {@code fromInclusive <= key < toExclusive} in
   * unsigned byte order, from one consistent snapshot.
   */
  CompletableFuture<List<Entry>> scan(
      Table table, byte[] fromInclusive, byte[] toExclusive, int limit);

  /**
   * Moves the value under {@code key} to {@link Table#QUARANTINE} if it fails its checksum, so it
   * is never served again; completes with whether it did.
   */
  CompletableFuture<Boolean> quarantine(Table table, byte[] key);

  /** Stops accepting updates, commits what is queued, and closes the environment. */
  @Override
  void close();

  /**
   * A stored key and its checksum-verified value; {@code corrupt} entries failed the check and
   * carry no value.
   */
  record Entry(byte[] key, byte[] value, boolean corrupt) {
    public Entry(byte[] key, byte[] value) {
      this(key, value, false);
    }
  }
}
