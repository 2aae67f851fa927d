package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Merkle-tree anti-entropy under simulation: repairs find exactly the keys that differ with traffic
 * proportional to the differences, and restore convergence after hints expired and deltas were
 * lost.
 */
class AntiEntropySimulationTest {

  @Test
  void repair_tenThousandKeysTenDiffering_shipsFewerThanTwoHundredKeys() {
    Simulation simulation = new Simulation(42);
    SimulatedNetwork network =
        new SimulatedNetwork(simulation, SimulatedNetwork.Options.reliable());
    SimulatedCluster cluster = cluster(simulation, network, List.of("antiEntropy.intervalMs=0"));
    simulation.runFor(8_000);
    SimulatedCluster.SimNode first = cluster.node("n1");
    for (int i = 0; i < 10_000; i++) {
      first.protocol().write(counter(i), new Operation.CounterAdd(1), Optional.empty());
      if (i % 500 == 0) {
        simulation.runFor(200);
      }
    }
    simulation.runFor(5_000);
    // Ten keys change on n1 alone, as if their deltas had been lost on the way to n2 and n3.
    for (int i = 0; i < 10; i++) {
      first
          .replica()
          .merge(counter(i * 997), PnCounter.empty().add(new ReplicaId("lost.x"), 5).delta());
    }
    simulation.runFor(100);
    AtomicLong keysSent = new AtomicLong();
    network.observe(message -> keysSent.addAndGet(keysIn(message)));

    RepairProgress started =
        first.protocol().startRepair(Optional.empty(), Optional.empty(), false);
    RepairProgress done = runUntilDone(simulation, first.protocol(), started.id());

    assertThat(done.state()).isEqualTo(RepairProgress.State.DONE);
    assertThat(done.keysRepaired()).isEqualTo(10 * 2);
    System.out.println("keys named in repair traffic: " + keysSent.get());
    assertThat(keysSent.get()).as("keys named in repair traffic").isLessThan(200);
    simulation.runFor(2_000);
    for (int i = 0; i < 10_000; i += 7) {
      assertConverged(cluster, counter(i));
    }
    for (int i = 0; i < 10; i++) {
      assertConverged(cluster, counter(i * 997));
    }
  }

  @Test
  void dryRun_countsDifferencesAndShipsNothing() {
    Simulation simulation = new Simulation(7);
    SimulatedNetwork network =
        new SimulatedNetwork(simulation, SimulatedNetwork.Options.reliable());
    SimulatedCluster cluster = cluster(simulation, network, List.of("antiEntropy.intervalMs=0"));
    simulation.runFor(8_000);
    SimulatedCluster.SimNode first = cluster.node("n1");
    for (int i = 0; i < 3; i++) {
      first.replica().merge(counter(i), PnCounter.empty().add(new ReplicaId("only.n1"), 1).delta());
    }
    simulation.runFor(100);
    RepairProgress done =
        runUntilDone(
            simulation,
            first.protocol(),
            first.protocol().startRepair(Optional.empty(), Optional.empty(), true).id());
    assertThat(done.differences()).isEqualTo(3 * 2);
    assertThat(done.keysRepaired()).isZero();
    assertThat(cluster.copiesOf(counter(0)).values().stream().distinct().count()).isEqualTo(2);
  }

  @Test
  void repairWithAPeerCutOff_endsFailed_namingThatPeer() {
    Simulation simulation = new Simulation(11);
    SimulatedNetwork network =
        new SimulatedNetwork(simulation, SimulatedNetwork.Options.reliable());
    SimulatedCluster cluster = cluster(simulation, network, List.of("antiEntropy.intervalMs=0"));
    simulation.runFor(8_000);
    SimulatedCluster.SimNode first = cluster.node("n1");
    first.protocol().write(counter(1), new Operation.CounterAdd(1), Optional.empty());
    network.partition(java.util.Set.of("n3"), cluster.nodeIds());
    simulation.runFor(10_000);

    RepairProgress done =
        runUntilDone(
            simulation,
            first.protocol(),
            first.protocol().startRepair(Optional.empty(), Optional.empty(), false).id());

    assertThat(done.state()).isEqualTo(RepairProgress.State.FAILED);
    assertThat(done.rangesFailed()).isPositive();
    assertThat(done.failedPeers()).containsExactly("n3");
  }

  static LongStream seeds() {
    return LongStream.range(0, 6);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void expiredHintsAndLostDeltas_afterBackgroundRepair_allReplicasEqual(long seed) {
    Simulation simulation = new Simulation(seed);
    SimulatedNetwork network = new SimulatedNetwork(simulation, SimulatedNetwork.Options.faulty());
    SimulatedCluster cluster =
        cluster(
            simulation,
            network,
            List.of(
                "hints.ttlMs=2000", "antiEntropy.intervalMs=20000", "replication.timeoutMs=300"));
    simulation.runFor(8_000);
    List<String> ids = List.copyOf(cluster.nodeIds());
    network.partition(java.util.Set.of("n3"), cluster.nodeIds());
    for (int i = 0; i < 400; i++) {
      String coordinator = ids.get(simulation.random().nextInt(2));
      DataKey key = i % 2 == 0 ? counter(i % 50) : new DataKey(Keyspace.SETS, "s" + (i % 30));
      Operation operation =
          i % 2 == 0
              ? new Operation.CounterAdd(1)
              : new Operation.SetUpdate(List.of("e" + i), List.of(), Optional.empty());
      simulation.schedule(
          i * 20L,
          () -> cluster.node(coordinator).protocol().write(key, operation, Optional.empty()));
    }
    simulation.runFor(15_000);
    network.heal();
    simulation.runFor(90_000);
    for (int i = 0; i < 50; i++) {
      assertConverged(cluster, counter(i));
    }
    for (int i = 0; i < 30; i++) {
      assertConverged(cluster, new DataKey(Keyspace.SETS, "s" + i));
    }
  }

  private static SimulatedCluster cluster(
      Simulation simulation, SimulatedNetwork network, List<String> overrides) {
    Map<String, String> regions = new LinkedHashMap<>();
    for (int i = 1; i <= 3; i++) {
      regions.put("n" + i, "eu");
    }
    List<String> settings =
        new java.util.ArrayList<>(List.of("replication.n=3", "replication.w=2", "replication.r=2"));
    settings.addAll(overrides);
    return new SimulatedCluster(simulation, network, regions, settings);
  }

  private static RepairProgress runUntilDone(
      Simulation simulation, ReplicationNode node, String id) {
    for (int i = 0; i < 600; i++) {
      simulation.runFor(500);
      RepairProgress progress = node.repairProgress(id).orElseThrow();
      if (progress.state() != RepairProgress.State.RUNNING) {
        return progress;
      }
    }
    throw new AssertionError("repair " + id + " did not finish");
  }

  private static void assertConverged(SimulatedCluster cluster, DataKey key) {
    Map<String, Optional<Crdt<?>>> copies = cluster.copiesOf(key);
    assertThat(new HashSet<>(copies.values())).as("copies of %s: %s", key, copies).hasSize(1);
  }

  private static DataKey counter(int i) {
    return new DataKey(Keyspace.COUNTERS, "c" + i);
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
}
