package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded simulations of three regions of different sizes, each writing locally through partitions
 * between regions, message loss and duplication, and node crashes: after healing, every replica of
 * every key in every region is equal and no acknowledged write is lost or counted twice. CI runs a
 * fixed seed range ({@code -Dsim.seedCount=N} for more); {@code -Dsim.seed=N} replays one.
 */
class GeoReplicationSimulationTest {
  private static final long WORKLOAD_MILLIS = 40_000;
  private static final long SETTLE_MILLIS = 120_000;

  static LongStream seeds() {
    String replay = System.getProperty("sim.seed", "");
    long count = Long.getLong("sim.seedCount", 12);
    return replay.isBlank() ? LongStream.range(0, count) : LongStream.of(Long.parseLong(replay));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void threeRegions_afterPartitionsAndCrashes_convergeWithEveryAcknowledgedWrite(long seed) {
    try {
      run(seed);
    } catch (AssertionError e) {
      throw new AssertionError(
          "seed=" + seed + " (replay: -Dsim.seed=" + seed + "): " + e.getMessage(), e);
    }
  }

  /**
   * A coordinator dies for good before shipping its writes to the other region, which it alone had
   * queued. Its region's other replicas hold them (w=2): they compare their ranges with the other
   * region as soon as it leaves, long before a rebalance or a background repair would.
   */
  @Test
  void aCoordinatorThatDiesWithDeltasQueued_itsRegionShipsItsWritesToTheOtherRegion() {
    Simulation simulation = new Simulation(21);
    Map<String, String> regions = new LinkedHashMap<>();
    for (String id : List.of("a1", "a2", "a3")) {
      regions.put(id, "a");
    }
    for (String id : List.of("b1", "b2", "b3")) {
      regions.put(id, "b");
    }
    SimulatedCluster cluster =
        new SimulatedCluster(
            simulation,
            new SimulatedNetwork(simulation, SimulatedNetwork.Options.reliable()),
            regions,
            List.of(
                "replication.n=3",
                "replication.w=2",
                "replication.r=1",
                "gossip.intervalMs=600000", // a1's queue would ship long after the assertions
                "antiEntropy.intervalMs=0",
                "failureDetector.cooldownMs=600000"));
    simulation.runFor(5_000);
    WriteLedger ledger = new WriteLedger();
    for (int i = 0; i < 100; i++) {
      ledger.increment(cluster.node("a1").protocol(), new DataKey(Keyspace.COUNTERS, "k" + i));
      simulation.runFor(20);
    }

    cluster.crash("a1");
    simulation.runFor(10_000);

    assertThat(ledger.acknowledged()).as("acknowledged writes").isEqualTo(100);
    ledger.verifyIn(cluster, "b");
  }

  private void run(long seed) {
    Simulation simulation = new Simulation(seed);
    SplittableRandom random = simulation.random().split();
    SimulatedNetwork network = new SimulatedNetwork(simulation, SimulatedNetwork.Options.faulty());
    Map<String, String> regions = new LinkedHashMap<>();
    regions.put("a1", "a");
    regions.put("a2", "a");
    regions.put("a3", "a");
    regions.put("b1", "b");
    regions.put("b2", "b");
    regions.put("c1", "c");
    SimulatedCluster cluster =
        new SimulatedCluster(
            simulation,
            network,
            regions,
            List.of(
                "replication.n=2",
                "replication.w=1",
                "replication.r=1",
                "replication.timeoutMs=500",
                "gossip.intervalMs=200",
                "antiEntropy.intervalMs=30000"));
    simulation.runFor(5_000);

    WriteLedger ledger = new WriteLedger();
    List<String> ids = new ArrayList<>(regions.keySet());
    scheduleFaults(simulation, network, cluster, random, regions);
    for (long t = 0; t < WORKLOAD_MILLIS; t += 1 + random.nextInt(30)) {
      String coordinator = ids.get(random.nextInt(ids.size()));
      int keyIndex = random.nextInt(10);
      boolean counter = random.nextBoolean();
      simulation.schedule(
          t,
          () -> {
            if (!cluster.isRunning(coordinator)) {
              return;
            }
            ReplicationNode node = cluster.node(coordinator).protocol();
            if (counter) {
              ledger.increment(node, new DataKey(Keyspace.COUNTERS, "c" + keyIndex));
            } else {
              ledger.add(node, new DataKey(Keyspace.SETS, "s" + keyIndex));
            }
          });
    }
    simulation.runFor(WORKLOAD_MILLIS);
    network.heal();
    for (String id : ids) {
      if (!cluster.isRunning(id)) {
        cluster.restart(id);
      }
    }
    simulation.runFor(SETTLE_MILLIS);

    assertThat(ledger.acknowledged()).as("acknowledged writes").isPositive();
    assertThat(cluster.gossipBacklog()).as("deltas not yet acknowledged by a region").isZero();
    ledger.verify(cluster);
  }

  /** Cuts one region off at a time, and crashes a node (restarted later) now and then. */
  private static void scheduleFaults(
      Simulation simulation,
      SimulatedNetwork network,
      SimulatedCluster cluster,
      SplittableRandom random,
      Map<String, String> regions) {
    Set<String> all = regions.keySet();
    List<String> regionNames = regions.values().stream().distinct().toList();
    for (long start = 3_000;
        start < WORKLOAD_MILLIS - 5_000;
        start += 6_000 + random.nextInt(4_000)) {
      String region = regionNames.get(random.nextInt(regionNames.size()));
      Set<String> side =
          regions.entrySet().stream()
              .filter(e -> e.getValue().equals(region))
              .map(Map.Entry::getKey)
              .collect(Collectors.toSet());
      long duration = 2_000 + random.nextInt(8_000);
      simulation.schedule(start, () -> network.partition(side, all));
      simulation.schedule(start + duration, network::heal);
      if (random.nextInt(3) == 0) {
        String victim = new ArrayList<>(all).get(random.nextInt(all.size()));
        long down = 1_000 + random.nextInt(5_000);
        simulation.schedule(
            start + 500,
            () -> {
              if (cluster.isRunning(victim)) {
                cluster.crash(victim);
                simulation.schedule(down, () -> cluster.restart(victim));
              }
            });
      }
    }
  }
}
