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
import java.util.Iterator;
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
 * queued (up to {@code storage.maxBatchMutations}), applies them in order inside its transaction,
 * makes them durable together, and only then completes their futures — group commit. Updates see
 * every earlier one, because a write transaction reads its own writes. An update that throws is
 * failed alone; a batch that cannot be made durable (disk or map full) fails whole, and since
 * nothing in it was acknowledged, nothing acknowledged is lost.
 *
 * <p>What makes a batch durable is not an LMDB commit but one record in the {@link WriteAheadLog}:
 * the writer applies the batch in its open transaction, appends what it wrote to synced tables to
 * the log, syncs the log, and completes the batch. The transaction stays open across batches and
 * commits at a checkpoint, at most every {@link #CHECKPOINT_INTERVAL} (sooner while checkpoints are
 * slow, see {@link #CHECKPOINT_TARGET_NANOS}; or when the log has grown large, or the store
 * closes); then the log restarts. Why: an LMDB commit writes each page it touched where its free
 * list had room, a block request per page, and syncs twice, so a commit per batch made the disk,
 * not the cores, the limit of a node's writes; a log append is one contiguous write and one {@code
 * fdatasync}, and a checkpoint writes a page touched by a thousand updates once. Until the
 * checkpoint, readers find the batch's values in {@link UncheckpointedWrites}; after a crash,
 * {@link #open} replays the log records the environment had not taken in. A record the log cannot
 * hold (the disk is full, or it is larger than the log may grow) is made durable the old way
 * instead: by a checkpoint of its own.
 *
 * <p>The environment runs with {@code MDB_NOMETASYNC}: a checkpoint's commit fsyncs its data pages
 * and writes the meta page that makes them current, and the writer then syncs the environment (the
 * second fsync) before the log restarts. LMDB keeps its integrity this way.
 *
 * <p>Updates of a table that is not {@linkplain Table#syncedOnCommit() synced on commit} are not
 * logged: they complete at the checkpoint that commits them, and a checkpoint holding nothing else
 * skips the second fsync. Their callers learn the outcome inside the transaction (strong keys
 * answer from there), so what they wait for is the writer, not the commit.
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
  private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final int READER_THREADS = 2;
  private static final int READ_QUEUE_CAPACITY = 10_000;

  /**
   * The longest the writer's transaction stays open before a checkpoint commits it. Longer means
   * fewer LMDB commits (each writes every page the window touched, and syncs twice) and more log to
   * replay after a crash; unsynced updates (strong-key applies) complete at the checkpoint, and a
   * snapshot waits for the commit of what it covers.
   */
  static final Duration CHECKPOINT_INTERVAL = Duration.ofMillis(50);

  /**
   * How long a checkpoint should hold up the writer (and every update queued behind it). A
   * checkpoint writes each page its window touched: over a few thousand hot keys that is a few
   * hundred pages however long the window, but writes spread over millions of keys touch a page
   * each, and a 50 ms window then took ~16 ms to commit (p99 of counter increments over a million
   * keys 22 ms against 4 ms with a commit per batch). So the interval adapts: it shrinks while
   * checkpoints take longer than this, and grows back to {@link #CHECKPOINT_INTERVAL} while they
   * are quicker.
   */
  private static final long CHECKPOINT_TARGET_NANOS = TimeUnit.MICROSECONDS.toNanos(2_500);

  /** The shortest checkpoint interval: below it the checkpoints' own fsyncs would dominate. */
  private static final long MIN_CHECKPOINT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** The log size at which a checkpoint is taken before the interval is over. */
  private static final long CHECKPOINT_LOG_BYTES = 16L << 20;

  /** The largest the log may grow: a batch whose record would pass it is checkpointed instead. */
  private static final long MAX_LOG_BYTES = 64L << 20;

  private static final String LOG_FILE = "wal";
  private static final byte[] CHECKPOINT_KEY = "wal.checkpointed".getBytes(UTF_8);

  /** How often a writer waiting for updates looks whether the store is closing. */
  private static final long CLOSE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final Env<byte[]> env;
  private final Path directory;
  private final DataDirectoryLock directoryLock;
  private final Map<Table, Dbi<byte[]>> dbis;
  private final HybridLogicalClock clock;
  private final BlockingQueue<PendingUpdate<?>> queue;
  private final int maxBatch;
  private final long maxCheckpointIntervalNanos;
  private final WriteAheadLog wal;
  private final UncheckpointedWrites uncheckpointed;
  private final ReadWriteLock admission = new ReentrantReadWriteLock();
  private final Thread writer;
  private final ExecutorService readers;
  private final DistributionSummary batchSizes;
  private final Timer commitLatency;
  private final Counter syncs;
  private final Timer checkpoints;
  private final Counter failedCommits;
  private final Counter quarantined;

  private volatile boolean closing;

  // Writer thread only.
  private long persistedClock;
  private OpenTransaction open; // null between a checkpoint and the next update
  private long nextLsn;
  private long checkpointIntervalNanos;
  private final List<PendingUpdate<?>> awaitingCheckpoint = new ArrayList<>();
  private long lastFailureLoggedNanos = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;
  private long failuresNotLogged;

  /**
   * Why the last checkpoint failed while logged writes waited for it (a full disk): until one
   * succeeds, no update is taken, so the log never holds more than the environment could not.
   */
  private StoreException checkpointFailure;

  private LmdbStore(
      Path directory,
      DataDirectoryLock directoryLock,
      Env<byte[]> env,
      Map<Table, Dbi<byte[]>> dbis,
      HybridLogicalClock clock,
      MeridianConfig.Storage config,
      Duration checkpointInterval,
      Recovered recovered,
      MeterRegistry registry) {
    this.directory = directory;
    this.directoryLock = directoryLock;
    this.env = env;
    this.dbis = dbis;
    this.clock = clock;
    this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
    this.maxBatch = config.maxBatchMutations();
    this.maxCheckpointIntervalNanos = checkpointInterval.toNanos();
    this.checkpointIntervalNanos = maxCheckpointIntervalNanos;
    this.wal = recovered.log();
    this.uncheckpointed = recovered.uncheckpointed();
    this.nextLsn = recovered.nextLsn();
    this.batchSizes =
        DistributionSummary.builder("meridian.storage.batch.mutations")
            .description(
                "Mutations made durable together (group commit: one write-ahead log append)")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
            .register(registry);
    this.commitLatency =
        Timer.builder("meridian.storage.commit")
            .description("Time to apply one batch and make it durable")
            .publishPercentileHistogram()
            .register(registry);
    this.syncs =
        Counter.builder("meridian.storage.syncs")
            .description("Batches synced to disk before completing")
            .register(registry);
    this.checkpoints =
        Timer.builder("meridian.storage.checkpoints")
            .description("LMDB commits of the writes logged since the last one")
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
    return open(dataDir, config, clock, CHECKPOINT_INTERVAL, registry);
  }

  /** {@link #open(Path, MeridianConfig.Storage, HybridLogicalClock, MeterRegistry)}, for tests. */
  static LmdbStore open(
      Path dataDir,
      MeridianConfig.Storage config,
      HybridLogicalClock clock,
      Duration checkpointInterval,
      MeterRegistry registry) {
    Path directory = prepareDirectory(dataDir);
    DataDirectoryLock directoryLock = lock(directory);
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
      directoryLock.close();
      throw new StoreException(
          StoreException.Reason.IO, "cannot open LMDB environment in " + directory, e);
    }
    try {
      Map<Table, Dbi<byte[]>> dbis = new EnumMap<>(Table.class);
      for (Table table : Table.values()) {
        dbis.put(table, env.openDbi(table.dbName(), DbiFlags.MDB_CREATE));
      }
      boolean created = initialiseFormat(env, dbis);
      env.sync(true);
      Recovered recovered = recover(directory, env, dbis, created);
      readClock(env, dbis).ifPresent(clock::restoreAtLeast);
      WriteAheadLog.Change loggedClock = recovered.uncheckpointed().lookup(Table.META, CLOCK_KEY);
      if (loggedClock != null && loggedClock.framedValue() != null) {
        clock.restoreAtLeast(longOf(loggedClock.framedValue()));
      }
      LmdbStore store =
          new LmdbStore(
              directory,
              directoryLock,
              env,
              dbis,
              clock,
              config,
              checkpointInterval,
              recovered,
              registry);
      if (!recovered.uncheckpointed().isEmpty()) {
        // Before the writer starts, so on this thread: the replayed records are committed and the
        // log restarts. If that fails (a full disk), they wait as after any failed checkpoint:
        // readable, and no update is taken until a checkpoint succeeds.
        store.checkpoint(false);
      }
      store.writer.start();
      return store;
    } catch (RuntimeException e) {
      env.close();
      directoryLock.close();
      throw e;
    }
  }

  /**
   * Claims the store's directory for this process. LMDB itself lets processes share an environment,
   * but the write-ahead log and the checkpoints assume one writer: a second node started on the
   * same data directory must not get past here.
   */
  private static DataDirectoryLock lock(Path directory) {
    try {
      return DataDirectoryLock.tryAcquire(directory)
          .orElseThrow(
              () ->
                  new StoreException(
                      StoreException.Reason.IN_USE,
                      directory.getParent() + " is in use by another running node"));
    } catch (IOException e) {
      throw new StoreException(StoreException.Reason.IO, "cannot lock " + directory + ": " + e, e);
    }
  }

  /** The log and what it held that the environment had not taken in, as {@link #open} found it. */
  private record Recovered(WriteAheadLog log, UncheckpointedWrites uncheckpointed, long nextLsn) {}

  /**
   * Opens the log and reads the records after the environment's last checkpoint; {@link #open} then
   * takes them in with an ordinary checkpoint (with none, the log restarts here).
   */
  private static Recovered recover(
      Path directory, Env<byte[]> env, Map<Table, Dbi<byte[]>> dbis, boolean created) {
    long checkpointed;
    try (Txn<byte[]> txn = env.txnRead()) {
      byte[] stored = dbis.get(Table.META).get(txn, CHECKPOINT_KEY);
      checkpointed = stored == null ? 0 : longOf(stored);
    }
    WriteAheadLog wal;
    List<WriteAheadLog.Record> records;
    try {
      wal = WriteAheadLog.open(directory.resolve(LOG_FILE));
      if (created) {
        // A log beside a new environment belongs to one that was deleted: never replay it here.
        wal.discard();
      }
      records = wal.recover(checkpointed);
    } catch (IOException e) {
      throw new StoreException(
          StoreException.Reason.IO, "cannot read the write-ahead log in " + directory, e);
    }
    UncheckpointedWrites writes = new UncheckpointedWrites();
    records.forEach(record -> writes.record(record.changes()));
    if (records.isEmpty()) {
      wal.restart(); // everything in it is checkpointed
    } else {
      log.info("replaying {} write-ahead log records", records.size());
    }
    long last = records.isEmpty() ? checkpointed : records.get(records.size() - 1).lsn();
    return new Recovered(wal, writes, last + 1);
  }

  @Override
  public <R> CompletableFuture<R> update(Table table, byte[] key, StoreUpdate<R> update) {
    PendingUpdate<R> pending = PendingUpdate.of(table, key, update);
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
    try {
      return CompletableFuture.supplyAsync(() -> read(table, key), readers);
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
    try {
      return CompletableFuture.supplyAsync(
          () -> scanMerged(table, fromInclusive, toExclusive, limit), readers);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new StoreException(StoreException.Reason.OVERLOADED, "storage readers are saturated"));
    }
  }

  /** The committed entries in the range, with the uncheckpointed writes laid over them. */
  private List<Entry> scanMerged(Table table, byte[] from, byte[] to, int limit) {
    Iterator<WriteAheadLog.Change> writes = uncheckpointed.range(table, from, to).iterator();
    WriteAheadLog.Change write = writes.hasNext() ? writes.next() : null;
    List<Entry> entries = new ArrayList<>(Math.min(limit, 1024));
    // A raw cursor rather than Dbi.iterate(KeyRange): lmdbjava compares range bounds of byte[]
    // keys as signed bytes, while LMDB orders keys unsigned.
    try (Txn<byte[]> txn = env.txnRead();
        Cursor<byte[]> cursor = dbis.get(table).openCursor(txn)) {
      boolean found = cursor.get(from, GetOp.MDB_SET_RANGE) && before(cursor, to);
      while (entries.size() < limit && (found || write != null)) {
        int order =
            !found ? 1 : write == null ? -1 : Arrays.compareUnsigned(cursor.key(), write.key());
        if (order < 0) {
          entries.add(verified(cursor.key(), cursor.val()));
        } else {
          if (write.framedValue() != null) {
            entries.add(verified(write.key(), write.framedValue()));
          }
          write = writes.hasNext() ? writes.next() : null;
        }
        if (order <= 0) {
          found = cursor.next() && before(cursor, to);
        }
      }
    }
    return entries;
  }

  private static boolean before(Cursor<byte[]> cursor, byte[] to) {
    return Arrays.compareUnsigned(cursor.key(), to) < 0;
  }

  private static Entry verified(byte[] key, byte[] framed) {
    try {
      return new Entry(key, ValueFrame.unwrap(framed));
    } catch (StoreException e) {
      return new Entry(key, new byte[0], true);
    }
  }

  /** Runs in the writer: re-checks the raw value and moves it aside if it still fails. */
  @Override
  public CompletableFuture<Boolean> quarantine(Table table, byte[] key) {
    PendingUpdate<Boolean> move =
        new PendingUpdate<>(
            true,
            txn -> {
              byte[] raw = txn.get(table, key);
              if (raw == null || !verified(key, raw).corrupt()) {
                return false;
              }
              txn.put(Table.QUARANTINE, key, ValueFrame.wrap(raw));
              txn.delete(table, key);
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

  @Override
  public Optional<byte[]> getNow(Table table, byte[] key) {
    // Under the admission lock, so close() cannot free the environment during the read.
    admission.readLock().lock();
    try {
      if (closing) {
        throw new StoreException(StoreException.Reason.CLOSED, "store is closing");
      }
      return read(table, key);
    } finally {
      admission.readLock().unlock();
    }
  }

  private Optional<byte[]> read(Table table, byte[] key) {
    WriteAheadLog.Change written = uncheckpointed.lookup(table, key);
    if (written != null) {
      return Optional.ofNullable(written.framedValue()).map(ValueFrame::unwrap);
    }
    try (Txn<byte[]> txn = env.txnRead()) {
      byte[] framed = dbis.get(table).get(txn, key);
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
    try {
      wal.close();
    } catch (IOException e) {
      log.warn("closing the write-ahead log: {}", e.toString());
    }
    directoryLock.close();
    log.info("storage closed");
  }

  private void writeLoop() {
    List<PendingUpdate<?>> batch = new ArrayList<>(maxBatch);
    while (true) {
      PendingUpdate<?> first;
      try {
        first = queue.poll(untilCheckpointNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        first = null;
      }
      if (first != null) {
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        commit(batch);
        batch.clear();
      }
      boolean drained = closing && queue.isEmpty();
      if ((open != null && (drained || checkpointDue()))
          || (drained && checkpointFailure != null)) {
        checkpoint(false);
      }
      if (drained) {
        return;
      }
    }
  }

  private long untilCheckpointNanos() {
    if (open == null) {
      return CLOSE_CHECK_NANOS;
    }
    long due = open.began + openIntervalNanos() - System.nanoTime();
    return Math.max(0, Math.min(due, CLOSE_CHECK_NANOS));
  }

  private boolean checkpointDue() {
    return System.nanoTime() - open.began >= openIntervalNanos()
        || wal.size() >= CHECKPOINT_LOG_BYTES;
  }

  /**
   * How long the open transaction may stay open. One holding only unsynced writes (strong-key
   * applies, whose callers were answered from inside it) waits the longest interval whatever the
   * adapted one is: its checkpoint's cost is mostly the commit's fsync, which a shorter interval
   * only repeats more often, and the writer takes no update while it syncs. Under strong-key load
   * the Raft logs' fsyncs slowed those commits to ~5 ms, the interval shrank to its 5 ms minimum,
   * and the writer then spent about half its time in checkpoints: applies waited ~4 ms for it.
   */
  private long openIntervalNanos() {
    return uncheckpointed.isEmpty() ? maxCheckpointIntervalNanos : checkpointIntervalNanos;
  }

  /**
   * Applies {@code batch} in the open transaction and makes it durable by one log record; completes
   * its updates of synced tables then, and leaves the others to the checkpoint.
   */
  private void commit(List<PendingUpdate<?>> batch) {
    long started = System.nanoTime();
    if (checkpointFailure != null) {
      StoreException stillFailing = checkpoint(false);
      if (stillFailing != null) {
        batch.forEach(pending -> pending.fail(stillFailing));
        return;
      }
    }
    List<WriteAheadLog.Change> changes;
    long clockHighWater;
    try {
      if (open == null) {
        open = begin();
      }
      for (PendingUpdate<?> pending : batch) {
        pending.applyIn(open);
      }
      clockHighWater = clock.current();
      if (clockHighWater > persistedClock) {
        open.put(Table.META, CLOCK_KEY, ValueFrame.wrap(longBytes(clockHighWater)));
      }
      changes = open.takeLogged();
    } catch (LmdbException e) {
      StoreException failure = failed(e, "commit of " + batch.size() + " updates");
      abandon(failure);
      batch.forEach(pending -> pending.fail(failure));
      return;
    }
    for (PendingUpdate<?> pending : batch) {
      if (!pending.synced && pending.failure == null) {
        awaitingCheckpoint.add(pending);
      }
    }
    // A record the log cannot take is made durable by a checkpoint of its own instead.
    StoreException failure = changes.isEmpty() || logged(changes) ? null : checkpoint(true);
    if (failure == null) {
      persistedClock = Math.max(persistedClock, clockHighWater);
      commitLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      batchSizes.record(batch.size());
    }
    for (PendingUpdate<?> pending : batch) {
      if (pending.failure != null) {
        pending.complete();
      } else if (pending.synced) {
        if (failure == null) {
          pending.complete();
        } else {
          pending.fail(failure);
        }
      }
    }
  }

  /** Appends {@code changes} to the log and syncs it; false if the log could not take them. */
  private boolean logged(List<WriteAheadLog.Change> changes) {
    if (wal.size() + WriteAheadLog.recordBytes(changes) > MAX_LOG_BYTES) {
      return false;
    }
    try {
      wal.append(nextLsn, changes);
    } catch (IOException e) {
      // The record may be on disk in part, or whole if only the sync failed: either way it is
      // never acknowledged, and the checkpoint that takes its place restarts the log over it.
      log.warn("write-ahead log append failed, checkpointing instead: {}", e.toString());
      return false;
    }
    nextLsn++;
    uncheckpointed.record(changes);
    syncs.increment();
    return true;
  }

  /**
   * Commits the open transaction (opening one that re-applies the uncheckpointed writes if there is
   * none), syncs it when it holds anything synced, and restarts the log. Completes the unsynced
   * updates it commits, or fails them.
   *
   * @param holdsUnlogged the transaction holds synced writes that are not in the log
   * @return null, or why the checkpoint failed
   */
  private StoreException checkpoint(boolean holdsUnlogged) {
    long started = System.nanoTime();
    boolean sync = holdsUnlogged || !uncheckpointed.isEmpty();
    try {
      if (open == null) {
        open = begin();
      }
      open.putUnlogged(
          new WriteAheadLog.Change(
              Table.META, CHECKPOINT_KEY, ValueFrame.wrap(longBytes(nextLsn - 1))));
      open.txn.commit();
      if (sync) {
        env.sync(true);
      }
    } catch (LmdbException e) {
      StoreException failure = failed(e, "checkpoint");
      abandon(failure);
      checkpointFailure = uncheckpointed.isEmpty() ? null : failure;
      return failure;
    }
    open.txn.close();
    open = null;
    uncheckpointed.clear();
    wal.restart();
    checkpointFailure = null;
    awaitingCheckpoint.forEach(PendingUpdate::complete);
    awaitingCheckpoint.clear();
    long took = System.nanoTime() - started;
    checkpoints.record(took, TimeUnit.NANOSECONDS);
    if (sync) {
      // Only checkpoints of logged writes use the adapted interval (see openIntervalNanos).
      adaptCheckpointInterval(took);
    }
    return null;
  }

  /**
   * Moves the interval towards the one whose checkpoints take {@link #CHECKPOINT_TARGET_NANOS}, by
   * the square root of the ratio, so one outlier does not swing it far.
   */
  private void adaptCheckpointInterval(long took) {
    double ratio = (double) CHECKPOINT_TARGET_NANOS / Math.max(took, 1);
    long next = (long) (checkpointIntervalNanos * Math.sqrt(ratio));
    checkpointIntervalNanos =
        Math.min(
            maxCheckpointIntervalNanos,
            Math.max(Math.min(MIN_CHECKPOINT_INTERVAL_NANOS, maxCheckpointIntervalNanos), next));
  }

  /** A write transaction holding the uncheckpointed writes. */
  private OpenTransaction begin() {
    OpenTransaction txn = new OpenTransaction();
    try {
      uncheckpointed.changes().forEach(txn::putUnlogged);
    } catch (LmdbException e) {
      txn.txn.close();
      throw e;
    }
    return txn;
  }

  /**
   * Aborts the open transaction, failing the unsynced updates that waited for its checkpoint; the
   * logged writes it held stay in {@link #uncheckpointed}, and the next transaction re-applies
   * them.
   */
  private void abandon(StoreException failure) {
    if (open != null) {
      open.txn.close();
      open = null;
    }
    awaitingCheckpoint.forEach(pending -> pending.fail(failure));
    awaitingCheckpoint.clear();
  }

  private StoreException failed(LmdbException e, String what) {
    failedCommits.increment();
    StoreException failure = classify(e, directory);
    long now = System.nanoTime();
    if (now - lastFailureLoggedNanos >= FAILURE_LOG_INTERVAL_NANOS) {
      // On a full disk every request fails the same way: one line per interval, with a count.
      log.warn(
          "storage {} failed: {}{}",
          what,
          failure.getMessage(),
          failuresNotLogged > 0
              ? " (" + failuresNotLogged + " more failures since the last line)"
              : "");
      lastFailureLoggedNanos = now;
      failuresNotLogged = 0;
    } else {
      failuresNotLogged++;
    }
    return failure;
  }

  private static StoreException classify(LmdbException e, Path directory) {
    if (e instanceof Env.MapFullException) {
      return new StoreException(StoreException.Reason.FULL, "LMDB map is full", e);
    }
    if (e instanceof LmdbNativeException nativeError
        && (nativeError.getResultCode() == ENOSPC
            || (nativeError.getResultCode() == EIO && diskNearlyFull(directory)))) {
      // A short write on a full disk reaches LMDB as EIO rather than ENOSPC.
      return new StoreException(StoreException.Reason.FULL, "no space left on device", e);
    }
    return new StoreException(StoreException.Reason.IO, "storage commit failed: " + e, e);
  }

  private static boolean diskNearlyFull(Path directory) {
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

  /** Checks the store's format, or marks a new one; true when the environment was new. */
  private static boolean initialiseFormat(Env<byte[]> env, Map<Table, Dbi<byte[]>> dbis) {
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
        return true;
      }
      long format = longOf(stored);
      if (format > STORE_FORMAT) {
        throw new StoreException(
            StoreException.Reason.INCOMPATIBLE,
            "store was written by a newer Meridian (format "
                + format
                + ", this build reads up to "
                + STORE_FORMAT
                + ")");
      }
      return false;
    }
  }

  private static Optional<Long> readClock(Env<byte[]> env, Map<Table, Dbi<byte[]>> dbis) {
    try (Txn<byte[]> txn = env.txnRead()) {
      byte[] stored = dbis.get(Table.META).get(txn, CLOCK_KEY);
      return stored == null ? Optional.empty() : Optional.of(longOf(stored));
    }
  }

  private static long longOf(byte[] framed) {
    return ByteBuffer.wrap(ValueFrame.unwrap(framed)).getLong();
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

  /** Work run by the writer inside its open transaction. */
  @FunctionalInterface
  private interface TxnWork<R> {
    R run(OpenTransaction txn);
  }

  /**
   * The writer's write transaction, open from the first update after a checkpoint to the next
   * checkpoint. It collects what each batch writes to synced tables, for the log.
   */
  private final class OpenTransaction {
    final Txn<byte[]> txn = env.txnWrite();
    final long began = System.nanoTime();
    private List<WriteAheadLog.Change> logged = new ArrayList<>();

    byte[] get(Table table, byte[] key) {
      return dbis.get(table).get(txn, key);
    }

    void put(Table table, byte[] key, byte[] framed) {
      dbis.get(table).put(txn, key, framed);
      if (table.syncedOnCommit()) {
        logged.add(new WriteAheadLog.Change(table, key, framed));
      }
    }

    void delete(Table table, byte[] key) {
      dbis.get(table).delete(txn, key);
      if (table.syncedOnCommit()) {
        logged.add(new WriteAheadLog.Change(table, key, null));
      }
    }

    /**
     * A write the log need not carry: one it already holds (re-applied to a new transaction), or
     * the checkpoint's own bookkeeping.
     */
    void putUnlogged(WriteAheadLog.Change change) {
      if (change.framedValue() == null) {
        dbis.get(change.table()).delete(txn, change.key());
      } else {
        dbis.get(change.table()).put(txn, change.key(), change.framedValue());
      }
    }

    /** What the batch since the last call wrote to synced tables, in order. */
    List<WriteAheadLog.Change> takeLogged() {
      List<WriteAheadLog.Change> batch = logged;
      logged = new ArrayList<>();
      return batch;
    }
  }

  /** One queued update and, once the writer has run it, its outcome. Writer thread only. */
  private static final class PendingUpdate<R> {
    /** Whether this update completes once logged (else at the checkpoint that commits it). */
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
    static <R> PendingUpdate<R> of(Table table, byte[] key, StoreUpdate<R> update) {
      return new PendingUpdate<>(
          table.syncedOnCommit(),
          txn -> {
            byte[] framed = txn.get(table, key);
            Optional<byte[]> current =
                framed == null ? Optional.empty() : Optional.of(ValueFrame.unwrap(framed));
            StoreUpdate.Outcome<R> outcome = update.apply(current);
            switch (outcome.change()) {
              case PUT -> txn.put(table, key, ValueFrame.wrap(outcome.value().get()));
              case DELETE -> txn.delete(table, key);
              case KEEP -> {}
            }
            return outcome.result();
          });
    }

    /**
     * Runs the work inside {@code txn}. Storage errors propagate and fail the whole batch; any
     * other exception fails this update alone (it throws before writing anything).
     */
    void applyIn(OpenTransaction txn) {
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
