package io.meridian.crdt;

import java.math.BigInteger;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A grow-only counter: one monotonically increasing count per replica; the value is their sum.
 *
 * <p>Each replica only ever increments its own entry, so the join is the pointwise maximum
 * (Shapiro, Preguiça, Baquero, Zawirski, "A comprehensive study of Convergent and Commutative
 * Replicated Data Types", INRIA RR-7506, 2011, "G-Counter"). The delta of an increment is the
 * single updated entry.
 *
 * <p>Entries are unsigned 64-bit counts. {@link #increment} never takes an entry past {@link
 * Long#MAX_VALUE}, so a standalone G-counter's entries read as ordinary longs. The two halves of a
 * {@link PnCounter} may go up to 2<sup>64</sup>−1, because adding {@code Long.MIN_VALUE} to a
 * PN-counter puts 2<sup>63</sup> into one entry. Zero entries are never stored, so equal counters
 * have equal maps.
 */
public final class GCounter implements Crdt<GCounter> {
  private static final GCounter EMPTY = new GCounter(new TreeMap<>());
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  /** Replica to unsigned count, never zero; never mutated after construction. */
  private final NavigableMap<ReplicaId, Long> entries;

  private GCounter(NavigableMap<ReplicaId, Long> entries) {
    this.entries = entries;
  }

  /** Returns the counter with no increments. */
  public static GCounter empty() {
    return EMPTY;
  }

  /**
   * Builds a counter from decoded entries.
   *
   * @param maxEntryUnsigned the largest entry allowed, compared unsigned
   * @throws IllegalArgumentException if an entry is zero or above the maximum
   */
  static GCounter ofEntries(SortedMap<ReplicaId, Long> entries, long maxEntryUnsigned) {
    for (Map.Entry<ReplicaId, Long> entry : entries.entrySet()) {
      long count = entry.getValue();
      if (count == 0 || Long.compareUnsigned(count, maxEntryUnsigned) > 0) {
        throw new IllegalArgumentException("counter entry out of range: " + entry);
      }
    }
    return entries.isEmpty() ? EMPTY : new GCounter(new TreeMap<>(entries));
  }

  /**
   * Adds {@code amount} to {@code replica}'s entry.
   *
   * @param amount at least 0; 0 changes nothing and yields an empty delta
   * @throws ArithmeticException if the entry would exceed {@link Long#MAX_VALUE}
   */
  public Mutation<GCounter> increment(ReplicaId replica, long amount) {
    Objects.requireNonNull(replica, "replica");
    if (amount < 0) {
      throw new IllegalArgumentException("increment amount must be >= 0, was " + amount);
    }
    long current = get(replica);
    if (current < 0 || current > Long.MAX_VALUE - amount) {
      throw new ArithmeticException(
          "G-counter entry of " + replica + " would exceed Long.MAX_VALUE");
    }
    return incrementUnsigned(replica, amount);
  }

  /**
   * Adds the unsigned {@code amount} to {@code replica}'s entry, allowing entries up to
   * 2<sup>64</sup>−1; only {@link PnCounter} needs that range.
   *
   * @throws ArithmeticException if the entry would exceed 2<sup>64</sup>−1
   */
  Mutation<GCounter> incrementUnsigned(ReplicaId replica, long amount) {
    if (amount == 0) {
      return new Mutation<>(this, EMPTY);
    }
    long current = get(replica);
    long updated = current + amount;
    if (Long.compareUnsigned(updated, current) < 0) {
      throw new ArithmeticException("counter entry of " + replica + " would exceed 2^64-1");
    }
    TreeMap<ReplicaId, Long> delta = new TreeMap<>();
    delta.put(replica, updated);
    TreeMap<ReplicaId, Long> state = new TreeMap<>(entries);
    state.put(replica, updated);
    return new Mutation<>(new GCounter(state), new GCounter(delta));
  }

  /**
   * Returns {@code replica}'s entry, 0 if it never incremented. For a standalone G-counter this is
   * a non-negative long; an entry of a {@link PnCounter} half may exceed {@link Long#MAX_VALUE} and
   * then reads as negative: treat it as unsigned ({@link Long#toUnsignedString(long)}).
   */
  public long get(ReplicaId replica) {
    return entries.getOrDefault(replica, 0L);
  }

  /** Returns the sum of all entries, which can exceed 64 bits. */
  public BigInteger value() {
    BigInteger sum = BigInteger.ZERO;
    for (long count : entries.values()) {
      sum = sum.add(unsigned(count));
    }
    return sum;
  }

  /** Returns the entries sorted by replica, unmodifiable; see {@link #get} on their sign. */
  public SortedMap<ReplicaId, Long> entries() {
    return Collections.unmodifiableSortedMap(entries);
  }

  @Override
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Pointwise maximum; returns an input unchanged when it already includes the other. */
  @Override
  public GCounter join(GCounter other) {
    if (other == this || includes(other)) {
      return this;
    }
    if (other.includes(this)) {
      return other;
    }
    TreeMap<ReplicaId, Long> merged = new TreeMap<>(entries);
    other.entries.forEach(
        (replica, count) ->
            merged.merge(replica, count, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b));
    return new GCounter(merged);
  }

  /** Whether every entry of {@code other} is at most this counter's entry. */
  private boolean includes(GCounter other) {
    for (Map.Entry<ReplicaId, Long> entry : other.entries.entrySet()) {
      if (Long.compareUnsigned(get(entry.getKey()), entry.getValue()) < 0) {
        return false;
      }
    }
    return true;
  }

  static BigInteger unsigned(long count) {
    BigInteger value = BigInteger.valueOf(count);
    return count >= 0 ? value : value.add(TWO_TO_64);
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof GCounter other && entries.equals(other.entries));
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("GCounter{");
    String separator = "";
    for (Map.Entry<ReplicaId, Long> entry : entries.entrySet()) {
      out.append(separator).append(entry.getKey()).append('=');
      out.append(Long.toUnsignedString(entry.getValue()));
      separator = ", ";
    }
    return out.append('}').toString();
  }
}
