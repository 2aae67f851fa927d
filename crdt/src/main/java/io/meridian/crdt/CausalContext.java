package io.meridian.crdt;

import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable causal context: the set of {@link Dot}s a state has seen, kept compact.
 *
 * <p>The set is held as a version vector (replica r maps to n: all of r's dots 1..n are seen) and a
 * dot cloud (the seen dots beyond each replica's contiguous prefix). Dots arrive out of order when
 * deltas do, so the cloud is needed; it is always compacted: a cloud dot that extends its replica's
 * vector entry by one is folded into the vector (Almeida, Shoker, Baquero, "Delta State Replicated
 * Data Types", JPDC 2018). Compaction makes the representation of a dot set unique, which is why
 * equality, hashing and encoding can work on the two collections directly.
 *
 * <p>Invariants: vector entries are at least 1; every cloud dot of replica r has a counter above
 * {@code vector(r) + 1}.
 */
public final class CausalContext {
  private static final CausalContext EMPTY = new CausalContext(new TreeMap<>(), new TreeSet<>());

  private final NavigableMap<ReplicaId, Long> vector;
  private final NavigableSet<Dot> cloud;

  /** Takes ownership of both collections, which must be compacted and are never mutated again. */
  private CausalContext(NavigableMap<ReplicaId, Long> vector, NavigableSet<Dot> cloud) {
    this.vector = vector;
    this.cloud = cloud;
  }

  /** Returns the context that has seen nothing. */
  public static CausalContext empty() {
    return EMPTY;
  }

  /** Returns the context that has seen exactly {@code dots}. */
  public static CausalContext of(Collection<Dot> dots) {
    if (dots.isEmpty()) {
      return EMPTY;
    }
    TreeSet<Dot> cloud = new TreeSet<>(dots);
    return compact(new TreeMap<>(), cloud);
  }

  /**
   * Builds a context from an already compacted vector and cloud, as the codec reads them; takes
   * ownership of both collections.
   *
   * @throws IllegalArgumentException if a vector entry is below 1 or the cloud is not compacted
   */
  static CausalContext ofCompacted(TreeMap<ReplicaId, Long> vector, TreeSet<Dot> cloud) {
    for (Map.Entry<ReplicaId, Long> entry : vector.entrySet()) {
      if (entry.getValue() < 1) {
        throw new IllegalArgumentException("version vector entry below 1: " + entry);
      }
    }
    for (Dot dot : cloud) {
      if (dot.counter() - 1 <= vector.getOrDefault(dot.replica(), 0L)) {
        throw new IllegalArgumentException("dot cloud is not compacted at " + dot);
      }
    }
    if (vector.isEmpty() && cloud.isEmpty()) {
      return EMPTY;
    }
    return new CausalContext(vector, cloud);
  }

  /** Whether this context has seen {@code dot}. */
  public boolean contains(Dot dot) {
    Long seen = vector.get(dot.replica());
    return (seen != null && dot.counter() <= seen) || (!cloud.isEmpty() && cloud.contains(dot));
  }

  /**
   * Returns the dot {@code replica} should create next: one above the highest dot of {@code
   * replica} this context has seen, in the vector or the cloud.
   *
   * @throws ArithmeticException if the replica's counter is exhausted
   */
  public Dot nextDot(ReplicaId replica) {
    return new Dot(replica, Math.addExact(maxCounter(replica), 1));
  }

  /** The highest counter of {@code replica} this context has seen, or 0. */
  long maxCounter(ReplicaId replica) {
    long max = vector.getOrDefault(replica, 0L);
    Dot highest = cloud.floor(new Dot(replica, Long.MAX_VALUE));
    if (highest != null && highest.replica().equals(replica)) {
      max = Math.max(max, highest.counter());
    }
    return max;
  }

  /** Returns this context plus {@code dot}. */
  public CausalContext add(Dot dot) {
    if (contains(dot)) {
      return this;
    }
    TreeSet<Dot> newCloud = new TreeSet<>(cloud);
    newCloud.add(dot);
    return compact(new TreeMap<>(vector), newCloud);
  }

  /**
   * Returns the union of both contexts. Returns {@code this} or {@code other} unchanged when one
   * dominates the other, which is the common case of joining a small delta into a state.
   */
  public CausalContext join(CausalContext other) {
    if (other == this || dominates(other)) {
      return this;
    }
    if (other.dominates(this)) {
      return other;
    }
    TreeMap<ReplicaId, Long> newVector = new TreeMap<>(vector);
    other.vector.forEach((replica, counter) -> newVector.merge(replica, counter, Math::max));
    TreeSet<Dot> newCloud = new TreeSet<>(cloud);
    newCloud.addAll(other.cloud);
    return compact(newVector, newCloud);
  }

  /**
   * Whether this context has seen every dot {@code other} has seen.
   *
   * <p>Comparing vector entries suffices for the contiguous prefixes: compaction guarantees this
   * context lacks dot {@code vector(r) + 1}, so it holds r's dots 1..n only if its entry is n or
   * more.
   */
  public boolean dominates(CausalContext other) {
    for (Map.Entry<ReplicaId, Long> entry : other.vector.entrySet()) {
      if (vector.getOrDefault(entry.getKey(), 0L) < entry.getValue()) {
        return false;
      }
    }
    for (Dot dot : other.cloud) {
      if (!contains(dot)) {
        return false;
      }
    }
    return true;
  }

  /** Whether this context has seen no dot. */
  public boolean isEmpty() {
    return vector.isEmpty() && cloud.isEmpty();
  }

  /** The compact version vector: replica r maps to n when r's dots 1..n are all seen. */
  public SortedMap<ReplicaId, Long> versionVector() {
    return Collections.unmodifiableSortedMap(vector);
  }

  /** The dot cloud: seen dots that do not extend their replica's vector entry contiguously. */
  public SortedSet<Dot> dotCloud() {
    return Collections.unmodifiableSortedSet(cloud);
  }

  /**
   * Folds every cloud dot that extends the vector into it, in one pass: the cloud is sorted by
   * replica then counter, so a replica's dots are visited in ascending order right after the entry
   * they may extend.
   */
  private static CausalContext compact(TreeMap<ReplicaId, Long> vector, TreeSet<Dot> cloud) {
    Iterator<Dot> dots = cloud.iterator();
    while (dots.hasNext()) {
      Dot dot = dots.next();
      long seen = vector.getOrDefault(dot.replica(), 0L);
      // Written as counter - 1 so that an entry at Long.MAX_VALUE cannot overflow.
      if (dot.counter() - 1 <= seen) {
        if (dot.counter() - 1 == seen) {
          vector.put(dot.replica(), dot.counter());
        }
        dots.remove();
      }
    }
    return new CausalContext(vector, cloud);
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof CausalContext other
            && vector.equals(other.vector)
            && cloud.equals(other.cloud));
  }

  @Override
  public int hashCode() {
    return Objects.hash(vector, cloud);
  }

  @Override
  public String toString() {
    return "{vector=" + vector + ", cloud=" + cloud + "}";
  }
}
