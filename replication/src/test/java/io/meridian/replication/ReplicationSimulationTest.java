package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.OrSet;
import io.meridian.crdt.PnCounter;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded simulations of one region (3–5 nodes, n=3, w=2, r=2) under message loss, duplication,
 * reordering and partitions, checking after healing that every replica of every key converged and
 * that no acknowledged increment or add was lost or double counted. CI runs a fixed seed range
 * ({@code -Dsim.seedCount=N} runs more); {@code -Dsim.seed=N} replays one seed.
 */
class ReplicationSimulationTest {
  private static final int SEEDS = 12;
  private static final long WORKLOAD_MILLIS = 30_000;
  private static final long SETTLE_MILLIS = 60_000;

  static LongStream seeds() {
    String replay = System.getProperty("sim.seed", "");
    long count = Long.getLong("sim.seedCount", SEEDS);
    return replay.isBlank() ? LongStream.range(0, count) : LongStream.of(Long.parseLong(replay));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void faultyRegion_afterHealing_convergesAndKeepsEveryAcknowledgedWrite(long seed) {
    try {
      run(seed);
    } catch (AssertionError e) {
      throw new AssertionError(
          "seed=" + seed + " (replay: -Dsim.seed=" + seed + "): " + e.getMessage(), e);
    }
  }

  private void run(long seed) {
    Simulation simulation = new Simulation(seed);
    SplittableRandom random = simulation.random().split();
    SimulatedNetwork network = new SimulatedNetwork(simulation, SimulatedNetwork.Options.faulty());
    int size = 3 + random.nextInt(3);
    Map<String, String> regions = new LinkedHashMap<>();
    for (int i = 1; i <= size; i++) {
      regions.put("n" + i, "eu");
    }
    SimulatedCluster cluster =
        new SimulatedCluster(
            simulation,
            network,
            regions,
            List.of(
                "replication.n=3",
                "replication.w=2",
                "replication.r=2",
                "replication.timeoutMs=500"));
    simulation.runFor(5_000);

    Ledger ledger = new Ledger();
    List<String> ids = new ArrayList<>(cluster.nodeIds());
    schedulePartitions(simulation, network, random, cluster.nodeIds());
    for (long t = 0; t < WORKLOAD_MILLIS; t += 1 + random.nextInt(40)) {
      String coordinator = ids.get(random.nextInt(ids.size()));
      int keyIndex = random.nextInt(8);
      boolean counter = random.nextBoolean();
      long at = t;
      simulation.schedule(
          at,
          () -> {
            if (counter) {
              ledger.increment(
                  cluster, coordinator, new DataKey(Keyspace.COUNTERS, "c" + keyIndex));
            } else {
              ledger.add(cluster, coordinator, new DataKey(Keyspace.SETS, "s" + keyIndex));
            }
          });
    }
    simulation.runFor(WORKLOAD_MILLIS);
    network.heal();
    simulation.runFor(SETTLE_MILLIS);

    assertThat(cluster.pendingHints()).as("hints left undelivered").isZero();
    ledger.verify(cluster);
  }

  private static void schedulePartitions(
      Simulation simulation, SimulatedNetwork network, SplittableRandom random, Set<String> ids) {
    List<String> list = new ArrayList<>(ids);
    for (long start = 2_000;
        start < WORKLOAD_MILLIS - 5_000;
        start += 8_000 + random.nextInt(4_000)) {
      String isolated = list.get(random.nextInt(list.size()));
      long duration = 2_000 + random.nextInt(12_000);
      simulation.schedule(start, () -> network.partition(Set.of(isolated), ids));
      simulation.schedule(start + duration, network::heal);
    }
  }

  /** What clients were told: acknowledged, and unknown (timed out), per key. */
  private static final class Ledger {
    final Map<DataKey, Long> ackedIncrements = new HashMap<>();
    final Map<DataKey, Long> unknownIncrements = new HashMap<>();
    final Map<DataKey, Set<String>> ackedAdds = new HashMap<>();
    final Map<DataKey, Set<String>> attemptedAdds = new HashMap<>();
    int nextElement;

    void increment(SimulatedCluster cluster, String coordinator, DataKey key) {
      cluster
          .node(coordinator)
          .protocol()
          .write(key, new Operation.CounterAdd(1), Optional.empty())
          .onComplete(
              (done, failure) -> {
                if (failure == null) {
                  ackedIncrements.merge(key, 1L, Long::sum);
                } else if (!nothingWritten(failure)) {
                  unknownIncrements.merge(key, 1L, Long::sum);
                }
              });
    }

    void add(SimulatedCluster cluster, String coordinator, DataKey key) {
      String element = "e" + nextElement++;
      attemptedAdds.computeIfAbsent(key, k -> new HashSet<>()).add(element);
      cluster
          .node(coordinator)
          .protocol()
          .write(
              key,
              new Operation.SetUpdate(List.of(element), List.of(), Optional.empty()),
              Optional.empty())
          .onSuccess(done -> ackedAdds.computeIfAbsent(key, k -> new HashSet<>()).add(element));
    }

    private static boolean nothingWritten(Throwable failure) {
      return failure instanceof ReplicationException replication
          && replication.reason() == ReplicationException.Reason.UNAVAILABLE;
    }

    void verify(SimulatedCluster cluster) {
      Set<DataKey> keys = new HashSet<>(ackedIncrements.keySet());
      keys.addAll(unknownIncrements.keySet());
      keys.addAll(attemptedAdds.keySet());
      for (DataKey key : keys) {
        Map<String, Optional<Crdt<?>>> copies = cluster.copiesOf(key);
        assertThat(new HashSet<>(copies.values()))
            .as("replicas of %s disagree: %s", key, copies.keySet())
            .hasSizeLessThanOrEqualTo(1);
        Optional<Crdt<?>> state = copies.values().iterator().next();
        if (key.keyspace() == Keyspace.COUNTERS) {
          long acked = ackedIncrements.getOrDefault(key, 0L);
          long unknown = unknownIncrements.getOrDefault(key, 0L);
          BigInteger value = state.map(s -> ((PnCounter) s).value()).orElse(BigInteger.ZERO);
          assertThat(value.longValue())
              .as("counter %s: acknowledged %d, unknown %d", key, acked, unknown)
              .isBetween(acked, acked + unknown);
        } else {
          Set<String> elements =
              state.map(s -> (Set<String>) ((OrSet) s).elements()).orElse(Set.of());
          assertThat(elements).as("set %s", key).containsAll(ackedAdds.getOrDefault(key, Set.of()));
          assertThat(attemptedAdds.get(key)).as("set %s", key).containsAll(elements);
        }
      }
    }
  }
}
