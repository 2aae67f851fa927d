package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.OrSet;
import io.meridian.crdt.PnCounter;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What simulated clients were told, per key — acknowledged, refused before writing (503), or
 * unknown (timed out, or never answered because the coordinator crashed) — and the check that the
 * converged cluster agrees with it: every acknowledged increment and add present, nothing counted
 * twice, every replica equal.
 */
final class WriteLedger {
  private final Map<DataKey, Long> attemptedIncrements = new HashMap<>();
  private final Map<DataKey, Long> ackedIncrements = new HashMap<>();
  private final Map<DataKey, Long> refusedIncrements = new HashMap<>();
  private final Map<DataKey, Set<String>> ackedAdds = new HashMap<>();
  private final Map<DataKey, Set<String>> attemptedAdds = new HashMap<>();
  private int nextElement;

  void increment(ReplicationNode coordinator, DataKey key) {
    attemptedIncrements.merge(key, 1L, Long::sum);
    coordinator
        .write(key, new Operation.CounterAdd(1), Optional.empty())
        .onComplete(
            (done, failure) -> {
              if (failure == null) {
                ackedIncrements.merge(key, 1L, Long::sum);
              } else if (nothingWritten(failure)) {
                refusedIncrements.merge(key, 1L, Long::sum);
              }
            });
  }

  void add(ReplicationNode coordinator, DataKey key) {
    String element = "e" + nextElement++;
    attemptedAdds.computeIfAbsent(key, k -> new HashSet<>()).add(element);
    coordinator
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

  long acknowledged() {
    return ackedIncrements.values().stream().mapToLong(Long::longValue).sum()
        + ackedAdds.values().stream().mapToLong(Set::size).sum();
  }

  Set<DataKey> keys() {
    Set<DataKey> keys = new HashSet<>(attemptedIncrements.keySet());
    keys.addAll(attemptedAdds.keySet());
    return keys;
  }

  private static Map<String, String> summary(Map<String, Optional<Crdt<?>>> copies) {
    Map<String, String> summary = new java.util.TreeMap<>();
    copies.forEach(
        (node, copy) ->
            summary.put(
                node,
                copy.map(
                        c ->
                            c instanceof OrSet set
                                ? set.size() + " elements, context " + set.context()
                                : c.toString())
                    .orElse("absent")));
    return summary;
  }

  void verify(SimulatedCluster cluster) {
    verify(cluster::copiesOf);
  }

  /** {@link #verify}, of the replicas in {@code region} only (the others may be down). */
  void verifyIn(SimulatedCluster cluster, String region) {
    verify(key -> cluster.copiesOf(key, region));
  }

  private void verify(Function<DataKey, Map<String, Optional<Crdt<?>>>> copiesOf) {
    for (DataKey key : keys()) {
      Map<String, Optional<Crdt<?>>> copies = copiesOf.apply(key);
      assertThat(new HashSet<>(copies.values()))
          .as("replicas of %s disagree: %s", key, summary(copies))
          .hasSizeLessThanOrEqualTo(1);
      Optional<Crdt<?>> state = copies.values().iterator().next();
      if (key.keyspace() == Keyspace.COUNTERS) {
        long acked = ackedIncrements.getOrDefault(key, 0L);
        long unknown =
            attemptedIncrements.getOrDefault(key, 0L)
                - acked
                - refusedIncrements.getOrDefault(key, 0L);
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
