package io.meridian.replication.strong;

import io.meridian.core.Store;
import io.meridian.core.StoreException;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.LockSupport;

/** Storage calls made from Ratis threads, which may wait (never from an event loop). */
final class StoreFutures {
  private static final int SCAN_PAGE = 1024;

  private StoreFutures() {}

  /**
   * Queues {@code update}, waiting out a full writer queue for at most {@code retryMillis}, so that
   * one thread's updates are queued in exactly the order it submits them.
   */
  static <R> CompletableFuture<R> submit(
      Store store, Table table, byte[] key, StoreUpdate<R> update, long retryMillis) {
    long deadline = System.nanoTime() + retryMillis * 1_000_000;
    while (true) {
      CompletableFuture<R> future = store.update(table, key, update);
      if (!overloaded(future) || System.nanoTime() > deadline) {
        return future;
      }
      LockSupport.parkNanos(1_000_000);
    }
  }

  private static boolean overloaded(CompletableFuture<?> future) {
    if (!future.isCompletedExceptionally()) {
      return false;
    }
    try {
      future.join();
      return false;
    } catch (CompletionException e) {
      return e.getCause() instanceof StoreException store
          && store.reason() == StoreException.Reason.OVERLOADED;
    }
  }

  /**
   * The stored entries of {@code table} from {@code from} (inclusive) to {@code to} (exclusive),
   * read a page at a time as the iteration goes.
   */
  static Iterable<Store.Entry> scan(Store store, Table table, byte[] from, byte[] to) {
    return () ->
        new Iterator<>() {
          private byte[] next = from;
          private Iterator<Store.Entry> page = Collections.emptyIterator();
          private boolean last;

          @Override
          public boolean hasNext() {
            if (!page.hasNext() && !last) {
              List<Store.Entry> entries = join(store.scan(table, next, to, SCAN_PAGE));
              last = entries.size() < SCAN_PAGE;
              if (!entries.isEmpty()) {
                next = successor(entries.get(entries.size() - 1).key());
              }
              page = entries.iterator();
            }
            return page.hasNext();
          }

          @Override
          public Store.Entry next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            return page.next();
          }
        };
  }

  /** The smallest key after {@code key}. */
  private static byte[] successor(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  /** Waits for {@code future}, rethrowing its failure unwrapped. */
  static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(cause);
    }
  }
}
