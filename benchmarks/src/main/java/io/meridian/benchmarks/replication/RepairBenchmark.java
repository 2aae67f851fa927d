package io.meridian.benchmarks.replication;

import io.meridian.core.DataKey;
import io.meridian.core.HybridLogicalClock;
import io.meridian.core.Keyspace;
import io.meridian.core.LmdbStore;
import io.meridian.core.LocalReplica;
import io.meridian.core.Store;
import io.meridian.core.Table;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import io.meridian.replication.Member;
import io.meridian.replication.PeerCodec;
import io.meridian.replication.PeerMessage;
import io.meridian.replication.RepairProgress;
import io.meridian.replication.ReplicationNode;
import io.meridian.replication.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Merkle anti-entropy throughput between two replicas on this machine: both hold the same keys
 * (durable LMDB stores in temp directories), a fraction of them then changes on one side only, and
 * a repair reconciles them. Reports the time to repair, the keys named and bytes exchanged, beside
 * the naive baseline of shipping every key's state; then the same for zero differences (the cost of
 * finding nothing).
 *
 * <p>Usage: {@code RepairBenchmark [keys=1000000] [differingFraction=0.01]}. The two protocol state
 * machines run on one thread, connected by a transport that encodes every message with {@link
 * PeerCodec} (so bytes are the real wire bytes) and delivers it at once; the repair throttle is
 * raised out of the way so the figure is the protocol's, not the throttle's.
 */
public final class RepairBenchmark {
  private final ExecutorService protocol = Executors.newSingleThreadExecutor();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
  private final Map<String, ReplicationNode> nodes = new ConcurrentHashMap<>();
  private final AtomicLong wireBytes = new AtomicLong();
  private final AtomicLong keysNamed = new AtomicLong();

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    double fraction = args.length > 1 ? Double.parseDouble(args[1]) : 0.01;
    new RepairBenchmark().run(keys, fraction);
  }

  private void run(int keys, double fraction) throws Exception {
    Path dir = Files.createTempDirectory("meridian-repair-bench");
    MeridianConfig config =
        new ConfigLoader()
            .load(
                Optional.empty(),
                List.of(
                    "replication.n=2",
                    "replication.w=1",
                    "replication.r=1",
                    "antiEntropy.intervalMs=0",
                    "antiEntropy.keysPerSecond=10000000",
                    "antiEntropy.bytesPerSecond=10737418240"));
    try (LmdbStore storeA = open(dir.resolve("a"));
        LmdbStore storeB = open(dir.resolve("b"))) {
      LocalReplica a = new LocalReplica(storeA, new ReplicaId("a.1"), HybridLogicalClock.system());
      LocalReplica b = new LocalReplica(storeB, new ReplicaId("b.1"), HybridLogicalClock.system());
      long started = System.nanoTime();
      fill(a, b, keys);
      System.out.printf("filled %,d keys on both replicas in %.1f s%n", keys, seconds(started));
      start("a", config, a, storeA);
      start("b", config, b, storeB);
      // Heartbeats make each see the other up; the repair that a ring change starts finds nothing.
      Thread.sleep(8_000);
      int differing = (int) Math.round(keys * fraction);
      diverge(a, keys, differing);
      long naiveBytes = stateBytes(storeA);
      report("repair with " + differing + " differing", repair("a"), keys, naiveBytes);
      report("repair with 0 differing", repair("a"), keys, naiveBytes);
    } finally {
      ticker.shutdownNow();
      protocol.shutdownNow();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static LmdbStore open(Path dir) throws IOException {
    Files.createDirectories(dir);
    return LmdbStore.open(
        dir,
        new ConfigLoader().defaults().storage(),
        HybridLogicalClock.system(),
        new SimpleMeterRegistry());
  }

  private static void fill(LocalReplica a, LocalReplica b, int keys) {
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      PnCounter delta = PnCounter.empty().add(new ReplicaId("w.1"), 1 + i % 7).delta();
      DataKey key = new DataKey(Keyspace.COUNTERS, "k" + i);
      inFlight.add(a.merge(key, delta));
      inFlight.add(b.merge(key, delta));
      if (inFlight.size() >= 10_000) {
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
        inFlight.clear();
      }
    }
    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
  }

  /** Changes {@code differing} existing keys, spread over the key space, on one replica only. */
  private static void diverge(LocalReplica a, int keys, int differing) {
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    int step = Math.max(1, keys / Math.max(1, differing));
    for (int i = 0; i < differing; i++) {
      DataKey key = new DataKey(Keyspace.COUNTERS, "k" + (long) i * step % keys);
      inFlight.add(a.merge(key, PnCounter.empty().add(new ReplicaId("only.a"), 1).delta()));
    }
    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
  }

  /** What shipping every key's full state would cost: the encoded states of one replica. */
  private static long stateBytes(Store store) {
    long bytes = 0;
    byte[] from = {0};
    while (true) {
      List<Store.Entry> entries =
          store.scan(Table.DATA, from, new byte[] {(byte) 0xFF}, 50_000).join();
      for (Store.Entry entry : entries) {
        bytes += entry.value().length;
      }
      if (entries.size() < 50_000) {
        return bytes;
      }
      byte[] last = entries.get(entries.size() - 1).key();
      from = java.util.Arrays.copyOf(last, last.length + 1);
    }
  }

  private void start(String id, MeridianConfig config, LocalReplica replica, Store store)
      throws Exception {
    Transport transport = (to, message) -> deliver(id, to, message);
    ReplicationNode node =
        new ReplicationNode(
            new Member(id, "r", id + ":0"),
            config,
            replica,
            store,
            transport,
            System::currentTimeMillis,
            protocol);
    nodes.put(id, node);
    protocol
        .submit(
            () -> {
              node.start();
              node.memberJoined(new Member("a", "r", "a:0"));
              node.memberJoined(new Member("b", "r", "b:0"));
            })
        .get();
    ticker.scheduleAtFixedRate(() -> protocol.execute(node::onTick), 50, 50, TimeUnit.MILLISECONDS);
  }

  private void deliver(String from, String to, PeerMessage message) {
    byte[] wire = PeerCodec.encode(from, message);
    wireBytes.addAndGet(wire.length);
    keysNamed.addAndGet(keysIn(message));
    PeerCodec.Envelope envelope = PeerCodec.decode(wire);
    protocol.execute(() -> nodes.get(to).onMessage(envelope.from(), envelope.message()));
  }

  private record Result(RepairProgress progress, double seconds, long wireBytes, long keysNamed) {}

  private Result repair(String node) throws Exception {
    long bytesBefore = wireBytes.get();
    long keysBefore = keysNamed.get();
    long started = System.nanoTime();
    String id =
        protocol
            .submit(
                () -> nodes.get(node).startRepair(Optional.empty(), Optional.empty(), false).id())
            .get();
    while (true) {
      Thread.sleep(50);
      RepairProgress progress =
          protocol.submit(() -> nodes.get(node).repairProgress(id).orElseThrow()).get();
      if (progress.state() != RepairProgress.State.RUNNING) {
        return new Result(
            progress,
            seconds(started),
            wireBytes.get() - bytesBefore,
            keysNamed.get() - keysBefore);
      }
    }
  }

  private static void report(String title, Result result, int keys, long naiveBytes) {
    System.out.printf(
        "%s: %s in %.2f s; %,d keys repaired; %,d keys named on the wire; %,d bytes on the wire"
            + " (%,d of them states); naive full shipping: %,d keys, %,d bytes (%.1fx more)%n",
        title,
        result.progress().state().apiName(),
        result.seconds(),
        result.progress().keysRepaired(),
        result.keysNamed(),
        result.wireBytes(),
        result.progress().bytesSent(),
        keys,
        naiveBytes,
        naiveBytes / (double) Math.max(1, result.wireBytes()));
  }

  private static long keysIn(PeerMessage message) {
    if (message instanceof PeerMessage.DigestReply reply) {
      return reply.digests().size();
    }
    if (message instanceof PeerMessage.PushRequest push) {
      return push.keys().size();
    }
    if (message instanceof PeerMessage.Repair) {
      return 1;
    }
    return 0;
  }

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }
}
