package io.meridian.benchmarks.crdt;

import io.meridian.crdt.OrSet;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Deterministic CRDT states for the benchmarks, built once per trial in {@code @Setup}. */
final class Fixtures {
  private Fixtures() {}

  /** The {@code i}-th element name: short, like the set members clients store. */
  static String element(int i) {
    return String.format(Locale.ROOT, "element-%07d", i);
  }

  /** {@code count} replica ids shaped like a node's ({@code nodeId.incarnation}). */
  static ReplicaId[] replicas(int count) {
    ReplicaId[] replicas = new ReplicaId[count];
    for (int i = 0; i < count; i++) {
      replicas[i] = replica("node-" + i);
    }
    return replicas;
  }

  /** A replica id shaped like a node's: node id, a dot, a base-36 incarnation. */
  static ReplicaId replica(String nodeId) {
    return ReplicaId.of(nodeId + "." + Long.toString(1_767_225_600_000L + nodeId.hashCode(), 36));
  }

  /**
   * An OR-set of {@code size} elements, element {@code i} added once by writer {@code i mod
   * writers}, the writers' states joined: every element has one dot and the context is a compacted
   * version vector.
   */
  static OrSet orSet(ReplicaId[] writers, int size) {
    OrSet joined = OrSet.empty();
    for (int w = 0; w < writers.length; w++) {
      List<String> mine = new ArrayList<>();
      for (int i = w; i < size; i += writers.length) {
        mine.add(element(i));
      }
      joined = joined.join(OrSet.empty().addAll(writers[w], mine).state());
    }
    if (joined.size() != size) {
      throw new IllegalStateException("built " + joined.size() + " elements, wanted " + size);
    }
    return joined;
  }

  /**
   * A PN-counter every one of {@code replicas} has incremented (by {@code 1000 + i}) and every
   * second one decremented (by {@code i}): both halves carry entries, as a long-lived counter's do.
   */
  static PnCounter pnCounter(ReplicaId[] replicas) {
    PnCounter counter = PnCounter.empty();
    for (int i = 0; i < replicas.length; i++) {
      counter = counter.add(replicas[i], 1000 + i).state();
      if (i % 2 == 1) {
        counter = counter.add(replicas[i], -i).state();
      }
    }
    return counter;
  }
}
