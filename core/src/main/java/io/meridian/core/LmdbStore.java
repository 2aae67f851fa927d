package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.core.config.MeridianConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LMDB-backed {@link Store}: one environment per node under {@code <dataDir>/store}, one
 * database per {@link Table}.
 *
 * <p>Implementation notes. LMDB allows one write transaction at a time and a durable commit costs
 * about two fsyncs, so a transaction per request would cap a node at a few hundred writes per
 * second. Instead, one writer thread owns every write transaction: it takes whatever updates are
 * queued (up to {@code storage.maxBatchMutations}), applies them in order inside one transaction,
 * commits once, and only then completes their futures — group commit. Updates to the same key in
 * one batch see each other, because a write transaction reads its own writes. An update that throws
 * is failed alone; a commit that fails (disk or map full) fails the whole batch, and since nothing
 * in it was acknowledged, nothing acknowledged is lost.
 *
 * <p>The environment runs with {@code MDB_NOMETASYNC}: a commit fsyncs its data pages and only
 * writes the meta page that makes them current. The writer then syncs the environment (the second
 * fsync) before completing a batch, unless every update in it is of a table that is not {@linkplain
 * Table#syncedOnCommit() synced on commit}: those batches cost one fsync instead of two. LMDB keeps
 * its integrity this way; a machine crash can only undo the last commit before a sync, and a sync
 * makes every commit before it durable.
 *
 * <p>A transaction that holds only such unsynced updates also stays open for more of them, applying
 * each as it arrives, until {@link #UNSYNCED_COMMIT_DELAY} after it began (or the batch is full):
 * their callers learn the outcome inside the transaction (strong keys answer from there), so what
 * they wait for is the writer, not the commit, and a commit's fsync, which would hold up every
 * update queued behind it, is paid once for all of them. The first update of a synced table ends
 * the wait at once: it joins the transaction, which then commits and syncs.
 *
 * <p>The hybrid logical clock's high-water mark is written in the same transaction as the updates
 * that used it, so a timestamp is never visible before it is durable, and a restarted node resumes
 * above every timestamp it ever handed out.
 *
 * <p>Reads run on a small pool of reader threads, each in its own read transaction; they never wait
 * for the writer (LMDB readers see the last committed snapshot).
 */
public final class LmdbStore implements Store {
  private static final Logger log = LoggerFactory.getLogger(LmdbStore.class);

  static final String STORE_DIRECTORY = "store";
  private static final Set<String> KNOWN_DATA_DIR_ENTRIES = Set.of(STORE_DIRECTORY, "raft");
  private static final int STORE_FORMAT = 1;
  private static final byte[] FORMAT_KEY = "store.format".getBytes(UTF_8);
  private static final byte[] CLOCK_KEY = "hlc.highWater".getBytes(UTF_8);
  private static final int ENOSPC = 28;
  private static final int EIO = 5;
  private static final long NEARLY_FULL_BYTES = 16L << 20;
  private static final int READER_THREADS = 2;
  private static final int READ_QUEUE_CAPACITY = 10_000;

  /**
   * How long a transaction of unsynced updates waits for more before it commits. Under steady
   * strong-key load this bounds the writer's commits (each an fsync, on the disk the Raft logs
   * fsync to) to about a hundred a second; the price is that a snapshot, which waits for the commit
   * of what it covers, may wait this much longer.
   */
  static final Duration UNSYNCED_COMMIT_DELAY = Duration.ofMillis(10);

  /** How often a writer waiting for updates looks whether the store is closing. */
  private static final long CLOSE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final Env<byte[]> env;
  private final Path directory;
  private final Map<Table, Dbi<byte[]>> dbis;
  private final HybridLogicalClock clock;
  private final BlockingQueue<PendingUpdate<?>> queue;
  private final int maxBatch;
  private final long unsyncedCommitDelayNanos;
  private final ReadWriteLock admission = new ReentrantReadWriteLock();
  private final Thread writer;
  private final ExecutorService readers;
  private final DistributionSummary batchSizes;
  private final Timer commitLatency;
  private final Counter syncs;
  private final Counter failedCommits;
  private final Counter quarantined;

  private volatile boolean closing;
  private long persistedClock; // writer thread only

  private LmdbStore(
      Path directory,
      Env<byte[]> env,
      Map<Table, Dbi<byte[]>> dbis,
      HybridLogicalClock clock,
      MeridianConfig.Storage config,
      Duration unsyncedCommitDelay,
      MeterRegistry registry) {
    this.directory = directory;
    this.env = env;
    this.dbis = dbis;
    this.clock = clock;
    this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
    this.maxBatch = config.maxBatchMutations();
    this.unsyncedCommitDelayNanos = unsyncedCommitDelay.toNanos();
    this.batchSizes =
        DistributionSummary.builder("meridian.storage.batch.mutations")
            .description("Mutations committed per LMDB transaction (group commit)")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
            .register(registry);
    this.commitLatency =
        Timer.builder("meridian.storage.commit")
            .description(
                "Time to apply and commit one batch, including the wait of unsynced updates for"
                    + " more")
            .publishPercentileHistogram()
            .register(registry);
    this.syncs =
        Counter.builder("meridian.storage.syncs")
            .description("Batches whose commit was synced to disk before completing")
            .register(registry);
    this.failedCommits =
        Counter.builder("meridian.storage.commit.failures")
            .description("Batches whose commit failed (disk or map full, I/O error)")
            .register(registry);
    this.quarantined =
        Counter.builder("meridian.storage.quarantined")
            .description("Stored values that failed their checksum and were moved aside")
            .register(registry);
    Gauge.builder("meridian.storage.queue.depth", queue, BlockingQueue::size)
        .description("Mutations waiting for the storage writer")
        .register(registry);
    this.readers =
        new ThreadPoolExecutor(
            READER_THREADS,
            READER_THREADS,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(READ_QUEUE_CAPACITY),
            daemonThreads("meridian-storage-reader"));
    this.persistedClock = clock.current();
    this.writer = new Thread(this::writeLoop, "meridian-storage-writer");
  }

  /**
   * Opens (creating if needed) the store under {@code dataDir}, checks its format, and restores the
   * clock's high-water mark.
   *
   * @throws StoreException INCOMPATIBLE if the directory holds something that is not a Meridian
   *     store, or a store of a newer format; IO if it cannot be opened
   */
  public static LmdbStore open(
      Path dataDir,
      MeridianConfig.Storage config,
      HybridLogicalClock clock,
      MeterRegistry registry) {
    return open(dataDir, config, clock, UNSYNCED_COMMIT_DELAY, registry);
  }

  /** {@link #open(Path, MeridianConfig.Storage, HybridLogicalClock, MeterRegistry)}, for tests. */
  static LmdbStore open(
      Path dataDir,
      MeridianConfig.Storage config,
      HybridLogicalClock clock,
      Duration unsyncedCommitDelay,
      MeterRegistry registry) {
    Path directory = prepareDirectory(dataDir);
    LmdbNativeLibrary.placeIn(directory);
    Env<byte[]> env;
    try {
      env =
          Env.create(ByteArrayProxy.PROXY_BA)
              .setMapSize(config.mapSizeMb() << 20)
              .setMaxDbs(Table.values().length)
              .setMaxReaders(126)
              // A reader slot belongs to its read transaction, not to the thread that opened it.
              // With per-thread slots, a pooled thread (ours or Ratis') that ends after close()
              // runs LMDB's thread-exit hook on the unmapped lock file and crashes the JVM.
              .open(directory.toFile(), EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOMETASYNC);
    } catch (LmdbException e) {
      throw new StoreException(
          StoreException.Reason.IO, "cannot open LMDB environment in " + directory, e);
    }
    try {
      Map<Table, Dbi<byte[]>> dbis = new EnumMap<>(Table.class);
      for (Table table : Table.values()) {
        dbis.put(table, env.openDbi(table.dbName(), DbiFlags.MDB_CREATE));
      }
      initialiseFormat(env, dbis);
      env.sync(true);
      readClock(env, dbis).ifPresent(clock::restoreAtLeast);
      LmdbStore store =
          new LmdbStore(directory, env, dbis, clock, config, unsyncedCommitDelay, registry);
      store.writer.start();
      return store;
    } catch (RuntimeException e) {
      env.close();
      throw e;
    }
  }

  @Override
  public <R> CompletableFuture<R> update(Table table, byte[] key, StoreUpdate<R> update) {
    PendingUpdate<R> pending = PendingUpdate.of(table, dbis.get(table), key, update);
    enqueue(pending);
    return pending.future;
  }

  private void enqueue(PendingUpdate<?> pending) {
    admission.readLock().lock();
    try {
      if (closing) {
        pending.fail(new StoreException(StoreException.Reason.CLOSED, "store is closing"));
      } else if (!queue.offer(pending)) {
        pending.fail(
            new StoreException(StoreException.Reason.OVERLOADED, "storage writer queue is full"));
      }
    } finally {
      admission.readLock().unlock();
    }
  }

  @Override
  public CompletableFuture<Optional<byte[]>> get(Table table, byte[] key) {
    Dbi<byte[]> dbi = dbis.get(table);
    try {
      return CompletableFuture.supplyAsync(() -> read(dbi, key), readers);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new StoreException(
              closing ? StoreException.Reason.CLOSED : StoreException.Reason.OVERLOADED,
              "storage readers are " + (closing ? "closed" : "saturated")));
    }
  }

  @Override
  public CompletableFuture<List<Entry>> scan(
      Table table, byte[] fromInclusive, byte[] toExclusive, int limit) {
    Dbi<byte[]> dbi = dbis.get(table);
    try {
      return CompletableFuture.supplyAsync(
          () -> scan(dbi, fromInclusive, toExclusive, limit), readers);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new StoreException(StoreException.Reason.OVERLOADED, "storage readers are saturated"));
    }
  }

  private List<Entry> scan(Dbi<byte[]> dbi, byte[] from, byte[] to, int limit) {
    // A raw cursor rather than Dbi.iterate(KeyRange): lmdbjava compares range bounds of byte[]
    // keys as signed bytes, while LMDB orders keys unsigned.
    List<Entry> entries = new ArrayList<>(Math.min(limit, 1024));
    try (Txn<byte[]> txn = env.txnRead();
        Cursor<byte[]> cursor = dbi.openCursor(txn)) {
      boolean found = cursor.get(from, GetOp.MDB_SET_RANGE);
      while (found && entries.size() < limit && Arrays.compareUnsigned(cursor.key(), to) < 0) {
        entries.add(verified(cursor.key(), cursor.val()));
        found = cursor.next();
      }
    }
    return entries;
  }

  private static Entry verified(byte[] key, byte[] framed) {
    try {
      return new Entry(key, ValueFrame.unwrap(framed));
    } catch (StoreException e) {
      return new Entry(key, new byte[0], true);
    }
  }

  @Override
  public CompletableFuture<Boolean> quarantine(Table table, byte[] key) {
    return moveToQuarantine(dbis.get(table), dbis.get(Table.QUARANTINE), key);
  }

  /** Runs in the writer: re-checks the raw value and moves it aside if it still fails. */
  private CompletableFuture<Boolean> moveToQuarantine(
      Dbi<byte[]> source, Dbi<byte[]> quarantine, byte[] key) {
    PendingUpdate<Boolean> move =
        new PendingUpdate<>(
            true,
            txn -> {
              byte[] raw = source.get(txn, key);
              if (raw == null || !verified(key, raw).corrupt()) {
                return false;
              }
              quarantine.put(txn, key, ValueFrame.wrap(raw));
              source.delete(txn, key);
              quarantined.increment();
              log.warn(
                  "quarantined a corrupt value ({} bytes) under key of {} bytes",
                  raw.length,
                  key.length);
              return true;
            });
    enqueue(move);
    return move.future;
  }

  private Optional<byte[]> read(Dbi<byte[]> dbi, byte[] key) {
    try (Txn<byte[]> txn = env.txnRead()) {
      byte[] framed = dbi.get(txn, key);
      return framed == null ? Optional.empty() : Optional.of(ValueFrame.unwrap(framed));
    }
  }

  @Override
  public void close() {
    admission.writeLock().lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
    } finally {
      admission.writeLock().unlock();
    }
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    readers.shutdown();
    try {
      readers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    env.sync(true);
    env.close();
    log.info("storage closed");
  }

  private void writeLoop() {
    List<PendingUpdate<?>> batch = new ArrayList<>(maxBatch);
    while (true) {
      PendingUpdate<?> first;
      try {
        first = queue.poll(CLOSE_CHECK_NANOS, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        first = null;
      }
      if (first == null) {
        if (closing && queue.isEmpty()) {
          return;
        }
        continue;
      }
      batch.add(first);
      queue.drainTo(batch, maxBatch - 1);
      commit(batch);
      batch.clear();
    }
  }

  private void commit(List<PendingUpdate<?>> batch) {
    long started = System.nanoTime();
    long clockHighWater;
    boolean sync;
    try (Txn<byte[]> txn = env.txnWrite()) {
      sync = applyFrom(0, batch, txn) || applyArrivals(batch, txn, started);
      clockHighWater = clock.current();
      if (clockHighWater > persistedClock) {
        dbis.get(Table.META).put(txn, CLOCK_KEY, ValueFrame.wrap(longBytes(clockHighWater)));
        sync = true;
      }
      txn.commit();
      // A failed sync fails the batch like a failed commit: nothing in it is acknowledged, though
      // what it wrote is visible and may or may not survive a machine crash (an unknown outcome).
      if (sync) {
        env.sync(true);
        syncs.increment();
      }
    } catch (LmdbException e) {
      failedCommits.increment();
      StoreException failure = classify(e);
      log.warn("storage commit of {} mutations failed: {}", batch.size(), failure.getMessage());
      batch.forEach(pending -> pending.fail(failure));
      return;
    }
    persistedClock = Math.max(persistedClock, clockHighWater);
    commitLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    batchSizes.record(batch.size());
    batch.forEach(PendingUpdate::complete);
  }

  /** Applies {@code batch} from index {@code from} on; returns whether any of it must be synced. */
  private static boolean applyFrom(int from, List<PendingUpdate<?>> batch, Txn<byte[]> txn) {
    boolean sync = false;
    for (PendingUpdate<?> pending : batch.subList(from, batch.size())) {
      pending.applyIn(txn);
      sync |= pending.synced;
    }
    return sync;
  }

  /**
   * Applies updates as they arrive, in the open transaction of unsynced updates begun at {@code
   * started}, until its delay is over, the batch is full, the store closes, or an update that must
   * be synced arrives (then returns true).
   */
  private boolean applyArrivals(List<PendingUpdate<?>> batch, Txn<byte[]> txn, long started) {
    long deadline = started + unsyncedCommitDelayNanos;
    while (batch.size() < maxBatch && !closing) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return false;
      }
      PendingUpdate<?> next;
      try {
        next = queue.poll(Math.min(remaining, CLOSE_CHECK_NANOS), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      if (next != null) {
        int from = batch.size();
        batch.add(next);
        queue.drainTo(batch, maxBatch - batch.size());
        if (applyFrom(from, batch, txn)) {
          return true;
        }
      }
    }
    return false;
  }

  private StoreException classify(LmdbException e) {
    if (e instanceof Env.MapFullException) {
      return new StoreException(StoreException.Reason.FULL, "LMDB map is full", e);
    }
    if (e instanceof LmdbNativeException nativeError
        && (nativeError.getResultCode() == ENOSPC
            || (nativeError.getResultCode() == EIO && diskNearlyFull()))) {
      // A short write on a full disk reaches LMDB as EIO rather than ENOSPC.
      return new StoreException(StoreException.Reason.FULL, "no space left on device", e);
    }
    return new StoreException(StoreException.Reason.IO, "storage commit failed: " + e, e);
  }

  private boolean diskNearlyFull() {
    try {
      return Files.getFileStore(directory).getUsableSpace() < NEARLY_FULL_BYTES;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path prepareDirectory(Path dataDir) {
    Path directory = dataDir.resolve(STORE_DIRECTORY);
    try {
      if (Files.isDirectory(dataDir) && !Files.exists(directory.resolve("data.mdb"))) {
        try (Stream<Path> entries = Files.list(dataDir)) {
          Optional<Path> foreign =
              entries
                  .filter(p -> !KNOWN_DATA_DIR_ENTRIES.contains(p.getFileName().toString()))
                  .filter(p -> !p.getFileName().toString().equals("lost+found"))
                  .findFirst();
          if (foreign.isPresent()) {
            throw new StoreException(
                StoreException.Reason.INCOMPATIBLE,
                dataDir + " is not a Meridian data directory (it holds " + foreign.get() + ")");
          }
        }
      }
      Files.createDirectories(directory);
      return directory;
    } catch (IOException e) {
      throw new StoreException(StoreException.Reason.IO, "cannot use " + directory + ": " + e, e);
    }
  }

  private static void initialiseFormat(Env<byte[]> env, Map<Table, Dbi<byte[]>> dbis) {
    try (Txn<byte[]> txn = env.txnWrite()) {
      Dbi<byte[]> meta = dbis.get(Table.META);
      byte[] stored = meta.get(txn, FORMAT_KEY);
      if (stored == null) {
        if (dbis.get(Table.DATA).stat(txn).entries > 0) {
          throw new StoreException(
              StoreException.Reason.INCOMPATIBLE, "store has data but no format marker");
        }
        meta.put(txn, FORMAT_KEY, ValueFrame.wrap(longBytes(STORE_FORMAT)));
        txn.commit();
        return;
      }
      long format = ByteBuffer.wrap(ValueFrame.unwrap(stored)).getLong();
      if (format > STORE_FORMAT) {
        throw new StoreException(
            StoreException.Reason.INCOMPATIBLE,
            "store was written by a newer Meridian (format "
                + format
                + ", this build reads up to "
                + STORE_FORMAT
                + ")");
      }
    }
  }

  private static Optional<Long> readClock(Env<byte[]> env, Map<Table, Dbi<byte[]>> dbis) {
    try (Txn<byte[]> txn = env.txnRead()) {
      byte[] stored = dbis.get(Table.META).get(txn, CLOCK_KEY);
      return stored == null
          ? Optional.empty()
          : Optional.of(ByteBuffer.wrap(ValueFrame.unwrap(stored)).getLong());
    }
  }

  private static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
    java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + next.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Work run by the writer inside a write transaction. */
  @FunctionalInterface
  private interface TxnWork<R> {
    R run(Txn<byte[]> txn);
  }

  /** One queued update and, once the writer has run it, its outcome. Writer thread only. */
  private static final class PendingUpdate<R> {
    /** Whether the batch holding this update must be synced before it completes. */
    final boolean synced;

    final TxnWork<R> work;
    final CompletableFuture<R> future = new CompletableFuture<>();
    R result;
    RuntimeException failure;

    PendingUpdate(boolean synced, TxnWork<R> work) {
      this.synced = synced;
      this.work = work;
    }

    /** A read-modify-write of one key of {@code table} through {@code update}. */
    static <R> PendingUpdate<R> of(
        Table table, Dbi<byte[]> dbi, byte[] key, StoreUpdate<R> update) {
      return new PendingUpdate<>(
          table.syncedOnCommit(),
          txn -> {
            byte[] framed = dbi.get(txn, key);
            Optional<byte[]> current =
                framed == null ? Optional.empty() : Optional.of(ValueFrame.unwrap(framed));
            StoreUpdate.Outcome<R> outcome = update.apply(current);
            switch (outcome.change()) {
              case PUT -> dbi.put(txn, key, ValueFrame.wrap(outcome.value().get()));
              case DELETE -> dbi.delete(txn, key);
              case KEEP -> {}
            }
            return outcome.result();
          });
    }

    /**
     * Runs the work inside {@code txn}. Storage errors propagate and fail the whole batch; any
     * other exception fails this update alone (it throws before writing anything).
     */
    void applyIn(Txn<byte[]> txn) {
      try {
        result = work.run(txn);
      } catch (LmdbException e) {
        throw e;
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    void complete() {
      if (failure != null) {
        future.completeExceptionally(failure);
      } else {
        future.complete(result);
      }
    }

    void fail(RuntimeException e) {
      future.completeExceptionally(e);
    }
  }
}
