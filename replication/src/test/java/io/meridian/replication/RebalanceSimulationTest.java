package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.PnCounter;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Membership changes under simulation: a node that joins receives the ranges it now replicates, a
 * node gone past the cooldown is taken off the ring and its ranges re-replicated, every node ends
 * with the same ring, and no acknowledged increment is lost along the way.
 */
class RebalanceSimulationTest {
  private static final int KEYS = 300;

  @Test
  void joinThenPermanentCrash_rangesFollowTheRingAndNothingAcknowledgedIsLost() {
    Simulation simulation = new Simulation(11);
    SimulatedNetwork network =
        new SimulatedNetwork(simulation, SimulatedNetwork.Options.reliable());
    Map<String, String> regions = new LinkedHashMap<>();
    for (int i = 1; i <= 3; i++) {
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
                "failureDetector.cooldownMs=10000",
                "antiEntropy.intervalMs=0"));
    simulation.runFor(8_000);
    Map<DataKey, Long> acked = new HashMap<>();
    writeAll(simulation, cluster, "n1", acked);

    cluster.join("n4", "eu");
    simulation.runFor(60_000);
    assertRingsAgree(cluster);
    assertReplicasHold(cluster, acked);
    assertThat(replicaCount(cluster, "n4")).as("keys n4 replicates").isGreaterThan(KEYS / 3);

    cluster.crash("n2");
    writeAll(simulation, cluster, "n3", acked);
    simulation.runFor(90_000);
    assertRingsAgree(cluster);
    for (DataKey key : acked.keySet()) {
      assertThat(cluster.node("n1").protocol().preferenceLists(key).get("eu")).doesNotContain("n2");
    }
    assertReplicasHold(cluster, acked);
  }

  private static void writeAll(
      Simulation simulation,
      SimulatedCluster cluster,
      String coordinator,
      Map<DataKey, Long> acked) {
    for (int i = 0; i < KEYS; i++) {
      DataKey key = new DataKey(Keyspace.COUNTERS, "k" + i);
      cluster
          .node(coordinator)
          .protocol()
          .write(key, new Operation.CounterAdd(1), Optional.empty())
          .onSuccess(done -> acked.merge(key, 1L, Long::sum));
      simulation.runFor(5);
    }
    simulation.runFor(3_000);
  }

  private static void assertRingsAgree(SimulatedCluster cluster) {
    for (int i = 0; i < KEYS; i += 13) {
      DataKey key = new DataKey(Keyspace.COUNTERS, "k" + i);
      assertThat(
              new HashSet<>(
                  cluster.nodes().stream().map(n -> n.protocol().preferenceLists(key)).toList()))
          .as("preference lists of %s on every node", key)
          .hasSize(1);
    }
  }

  private static void assertReplicasHold(SimulatedCluster cluster, Map<DataKey, Long> acked) {
    acked.forEach(
        (key, count) -> {
          Map<String, Optional<Crdt<?>>> copies = cluster.copiesOf(key);
          assertThat(copies).hasSize(3);
          copies.forEach(
              (node, copy) ->
                  assertThat(copy.map(c -> ((PnCounter) c).value()).orElse(BigInteger.ZERO))
                      .as("%s on %s", key, node)
                      .isGreaterThanOrEqualTo(BigInteger.valueOf(count)));
        });
  }

  private static long replicaCount(SimulatedCluster cluster, String node) {
    long count = 0;
    for (int i = 0; i < KEYS; i++) {
      DataKey key = new DataKey(Keyspace.COUNTERS, "k" + i);
      if (cluster.node("n1").protocol().preferenceLists(key).get("eu").contains(node)) {
        count++;
      }
    }
    return count;
  }
}
