package io.meridian.crdt;

import java.util.Comparator;
import java.util.Objects;

/**
 * A dot: the unique name of one event, the {@code counter}-th event created by {@code replica}.
 *
 * <p>Dots identify the adds of an {@link OrSet}; a {@link CausalContext} records which dots a state
 * has seen. Each replica mints its dots with consecutive counters starting at 1, so a context can
 * summarise "all of replica r's dots up to n" with one number.
 *
 * @param replica the replica that created the event
 * @param counter its sequence number at that replica, at least 1
 */
public record Dot(ReplicaId replica, long counter) implements Comparable<Dot> {
  /** Orders by replica, then counter: all dots of one replica are adjacent and ascending. */
  private static final Comparator<Dot> ORDER =
      Comparator.comparing(Dot::replica).thenComparingLong(Dot::counter);

  public Dot {
    Objects.requireNonNull(replica, "replica");
    if (counter < 1) {
      throw new IllegalArgumentException("dot counter must be >= 1, was " + counter);
    }
  }

  @Override
  public int compareTo(Dot other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return replica + ":" + counter;
  }
}
