package io.meridian.benchmarks.core;

import io.meridian.core.DataKey;
import io.meridian.core.HybridLogicalClock;
import io.meridian.core.Keyspace;
import io.meridian.core.LmdbStore;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.ReplicaId;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The storage commit path: {@link LmdbStore#update} throughput with {@code inFlight} updates
 * outstanding, which is what lets the writer thread group-commit them into one durable transaction.
 *
 * <p>One benchmark thread keeps a window of {@code inFlight} updates open: each invocation waits
 * for a free slot, submits one update and returns its future; the slot frees when the update's
 * transaction has committed (fsync). In steady state the score is the committed mutations per
 * second. With {@code inFlight = 1} every update is its own transaction, the fsync-bound floor.
 *
 * <p>Besides ops/s, JMH reports {@code commits} (durable LMDB transactions per second, from the
 * store's {@code meridian.storage.batch.mutations} summary); their ratio is the average mutations
 * per commit, which each iteration also prints.
 *
 * <p>The environment lives in a {@link BenchDirectory}. Needs lmdbjava's JVM flags; {@code
 * benchmarks/jmh.sh} passes them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--add-opens", "java.base/java.nio=ALL-UNNAMED",
      "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED"
    })
@Threads(1) // the window is the concurrency; more benchmark threads would share it
public class LmdbStoreBenchmark {
  static final int KEYS = 10_000;
  private static final long MAP_SIZE_MB = 1024;
  private static final int MAX_BATCH_MUTATIONS = 4096; // the node's default
  private static final int QUEUE_CAPACITY = 20_000; // the node's default

  /** A counter in 8 bytes: read, add one, write back. */
  private static final StoreUpdate<Long> INCREMENT =
      current -> {
        long next = current.map(bytes -> ByteBuffer.wrap(bytes).getLong()).orElse(0L) + 1;
        return StoreUpdate.Outcome.write(
            ByteBuffer.allocate(Long.BYTES).putLong(next).array(), next);
      };

  private static final Operation COUNTER_ADD = new Operation.CounterAdd(1);

  @Param({"1", "64", "1024"})
  public int inFlight;

  private Path directory;
  private LmdbStore store;
  private LocalReplica replica;
  private DistributionSummary batches;
  private Semaphore window;
  private byte[][] rawKeys;
  private DataKey[] counterKeys;
  private final SplittableRandom random = new SplittableRandom(1);
  private final AtomicLong failures = new AtomicLong();
  private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

  @Setup(Level.Trial)
  public void open() throws IOException {
    directory = BenchDirectory.create("meridian-jmh-store-");
    var registry = new SimpleMeterRegistry();
    store =
        LmdbStore.open(
            directory,
            new MeridianConfig.Storage(MAP_SIZE_MB, MAX_BATCH_MUTATIONS, QUEUE_CAPACITY),
            HybridLogicalClock.system(),
            registry);
    batches = registry.get("meridian.storage.batch.mutations").summary();
    replica = new LocalReplica(store, ReplicaId.of("bench-node.jmh"), HybridLogicalClock.system());
    window = new Semaphore(inFlight);
    rawKeys = new byte[KEYS][];
    counterKeys = new DataKey[KEYS];
    for (int i = 0; i < KEYS; i++) {
      counterKeys[i] = new DataKey(Keyspace.COUNTERS, "bench-" + i);
      rawKeys[i] = counterKeys[i].storageKey();
    }
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    try {
      if (store != null) {
        store.close();
      }
    } finally {
      BenchDirectory.deleteRecursively(directory);
    }
    if (failures.get() > 0) {
      throw new IllegalStateException(
          failures.get() + " updates failed; the first with", firstFailure.get());
    }
  }

  /** A raw read-modify-write of an 8-byte value: the storage layer alone. */
  @Benchmark
  public CompletableFuture<Long> update(GroupCommit groupCommit) throws InterruptedException {
    window.acquire();
    return track(store.update(Table.DATA, rawKeys[random.nextInt(KEYS)], INCREMENT));
  }

  /**
   * A counter increment as a node applies it ({@link LocalReplica#apply}): decode the PN-counter,
   * add, encode, commit; then the Merkle index. The whole commit path minus HTTP.
   */
  @Benchmark
  public CompletableFuture<?> counterAdd(GroupCommit groupCommit) throws InterruptedException {
    window.acquire();
    return track(replica.apply(counterKeys[random.nextInt(KEYS)], COUNTER_ADD));
  }

  private <T> CompletableFuture<T> track(CompletableFuture<T> future) {
    future.whenComplete(
        (result, failure) -> {
          if (failure != null) {
            failures.incrementAndGet();
            firstFailure.compareAndSet(null, failure);
          }
          window.release();
        });
    return future;
  }

  /** Waits until every submitted update has committed (between iterations, untimed). */
  void drain() {
    window.acquireUninterruptibly(inFlight);
    window.release(inFlight);
  }

  /**
   * Group-commit figures of one iteration, as JMH secondary results: {@code commits} is reported
   * per second like the primary score, so score ÷ commits = mutations per commit.
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class GroupCommit {
    /** Durable transactions committed during the iteration. */
    public long commits;

    private long commitsBefore;
    private double mutationsBefore;

    @Setup(Level.Iteration)
    public void start(LmdbStoreBenchmark bench) {
      commitsBefore = bench.batches.count();
      mutationsBefore = bench.batches.totalAmount();
      commits = 0;
    }

    @TearDown(Level.Iteration)
    public void finish(LmdbStoreBenchmark bench) {
      bench.drain();
      commits = bench.batches.count() - commitsBefore;
      double mutations = bench.batches.totalAmount() - mutationsBefore;
      System.out.printf(
          Locale.ROOT,
          "  [group commit] %d mutations in %d commits = %.1f mutations/commit (in flight %d)%n",
          (long) mutations,
          commits,
          commits == 0 ? 0.0 : mutations / commits,
          bench.inFlight);
    }
  }
}
