package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.PnCounter;
import java.math.BigInteger;
import java.util.ArrayList;
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
    SimulatedCluster cluster =
        threeNodesInOneRegion(
            simulation, "replication.n=3", "replication.r=2", "failureDetector.cooldownMs=10000");
    simulation.runFor(8_000);
    Map<DataKey, Long> acked = new HashMap<>();
    writeAll(simulation, cluster, "n1", acked);

    cluster.join("n4", "eu");
    simulation.runFor(60_000);
    assertRingsAgree(cluster);
    assertReplicasHold(cluster, acked);
    assertThat(replicaCount(cluster, "n4")).as("keys n4 replicates").isGreaterThan(KEYS / 3);
    // n4 began alone, replicating everything, and gave it up as it met the others: a hand-off
    // sends what a node holds, and takes nothing back.
    for (DataKey key : acked.keySet()) {
      if (!cluster.node("n1").protocol().preferenceLists(key).get("eu").contains("n4")) {
        assertThat(cluster.node("n4").replica().read(key).join()).as("%s on n4", key).isEmpty();
      }
    }

    cluster.crash("n2");
    writeAll(simulation, cluster, "n3", acked);
    simulation.runFor(90_000);
    assertRingsAgree(cluster);
    for (DataKey key : acked.keySet()) {
      assertThat(cluster.node("n1").protocol().preferenceLists(key).get("eu")).doesNotContain("n2");
    }
    assertReplicasHold(cluster, acked);
    // n3 kept hints for n2 until n2 left the ring; they were dropped for that, not for their age.
    ClusterStatus n3 = cluster.node("n3").protocol().status();
    assertThat(n3.hintsPending()).as("hints pending on n3").isZero();
    assertThat(n3.hintsObsolete()).as("hints for n2 dropped when it left the ring").isPositive();
    assertThat(n3.hintsExpired()).as("hints dropped after their TTL").isZero();
  }

  /**
   * n=2 over three nodes. n2 dies and its ranges move to n1 and n3, which take writes; then n1 dies
   * and n2 returns: its ranges come back to it with n1, which is down but still on the ring. What
   * those ranges got meanwhile is on n3 alone, which no longer replicates them: n3 hands it to n2
   * at the ring change, before n1's cooldown would bring it there.
   */
  @Test
  void aReturningReplica_getsItsRangesFromTheNodeThatGaveThemUp_whileTheirOtherReplicaIsDown() {
    Simulation simulation = new Simulation(12);
    SimulatedCluster cluster =
        threeNodesInOneRegion(
            simulation, "replication.n=2", "replication.r=1", "failureDetector.cooldownMs=20000");
    simulation.runFor(8_000);
    Map<DataKey, Long> acked = new HashMap<>();
    writeAll(simulation, cluster, "n1", acked);
    cluster.crash("n2");
    simulation.runFor(40_000); // past the cooldown: n2 is off the ring
    writeAll(simulation, cluster, "n1", acked);

    cluster.crash("n1");
    cluster.restart("n2");
    simulation.runFor(12_000); // n1 is still on the ring

    int returned = 0;
    for (Map.Entry<DataKey, Long> entry : acked.entrySet()) {
      DataKey key = entry.getKey();
      List<String> replicas = cluster.node("n2").protocol().preferenceLists(key).get("eu");
      if (!replicas.contains("n1") || !replicas.contains("n2")) {
        continue;
      }
      returned++;
      Optional<Crdt<?>> copy = cluster.node("n2").replica().read(key).join();
      assertThat(copy.map(c -> ((PnCounter) c).value()).orElse(BigInteger.ZERO))
          .as("%s on n2", key)
          .isEqualTo(BigInteger.valueOf(entry.getValue()));
    }
    assertThat(returned).as("keys back on {n1, n2}").isGreaterThan(KEYS / 10);
  }

  /**
   * A member gone past the cooldown is off every ring; a node restarted after that must not put it
   * back from what it remembered, or for a cooldown its preference lists differ from everyone
   * else's (its quorum writes hint to the departed node instead of reaching a real replica).
   */
  @Test
  void aMemberTakenOffTheRing_staysOffItWhenANodeRestarts() {
    Simulation simulation = new Simulation(13);
    SimulatedCluster cluster =
        threeNodesInOneRegion(simulation, "replication.n=2", "failureDetector.cooldownMs=10000");
    simulation.runFor(8_000);
    cluster.crash("n2");
    simulation.runFor(20_000); // past the cooldown: n2 is off the ring
    cluster.crash("n3");
    cluster.restart("n3");
    simulation.runFor(2_000);

    assertThat(cluster.node("n3").protocol().status().members())
        .filteredOn(member -> member.member().id().equals("n2"))
        .noneMatch(ClusterStatus.MemberView::inRing);
    assertRingsAgree(cluster);
  }

  /** n1, n2 and n3 in region eu; writes wait for two replicas, repairs only on ring changes. */
  private static SimulatedCluster threeNodesInOneRegion(
      Simulation simulation, String... overrides) {
    Map<String, String> regions = new LinkedHashMap<>();
    for (int i = 1; i <= 3; i++) {
      regions.put("n" + i, "eu");
    }
    List<String> config = new ArrayList<>(List.of("replication.w=2", "antiEntropy.intervalMs=0"));
    config.addAll(List.of(overrides));
    return new SimulatedCluster(
        simulation,
        new SimulatedNetwork(simulation, SimulatedNetwork.Options.reliable()),
        regions,
        config);
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
