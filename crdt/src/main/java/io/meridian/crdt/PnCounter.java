package io.meridian.crdt;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A positive-negative counter: two {@link GCounter}s, one for increments (P) and one for decrements
 * (N); the value is P − N (Shapiro et al., INRIA RR-7506, 2011, "PN-Counter").
 *
 * <p>Each half is grow-only, so the join is the join of the halves. The full signed 64-bit range of
 * a single {@link #add} is accepted, {@code Long.MIN_VALUE} included: its magnitude,
 * 2<sup>63</sup>, goes into N as an unsigned count, which is why the halves' entries may exceed
 * {@link Long#MAX_VALUE} (see {@link GCounter}).
 */
public final class PnCounter implements Crdt<PnCounter> {
  private static final PnCounter EMPTY = new PnCounter(GCounter.empty(), GCounter.empty());

  private final GCounter increments;
  private final GCounter decrements;

  private PnCounter(GCounter increments, GCounter decrements) {
    this.increments = increments;
    this.decrements = decrements;
  }

  /** Returns the counter with value 0 and no history. */
  public static PnCounter empty() {
    return EMPTY;
  }

  /** Builds a counter from its two halves, as the codec reads them. */
  static PnCounter of(GCounter increments, GCounter decrements) {
    if (increments.isEmpty() && decrements.isEmpty()) {
      return EMPTY;
    }
    return new PnCounter(increments, decrements);
  }

  /**
   * Adds {@code delta} as {@code replica}: a positive delta increments P, a negative one N.
   *
   * @param delta any long; 0 changes nothing and yields an empty delta
   * @throws ArithmeticException if the replica's entry in the affected half would exceed
   *     2<sup>64</sup>−1
   */
  public Mutation<PnCounter> add(ReplicaId replica, long delta) {
    Objects.requireNonNull(replica, "replica");
    if (delta == 0) {
      return new Mutation<>(this, EMPTY);
    }
    if (delta > 0) {
      Mutation<GCounter> p = increments.incrementUnsigned(replica, delta);
      return new Mutation<>(
          new PnCounter(p.state(), decrements), new PnCounter(p.delta(), GCounter.empty()));
    }
    // -Long.MIN_VALUE wraps to itself, whose unsigned reading is exactly 2^63.
    Mutation<GCounter> n = decrements.incrementUnsigned(replica, -delta);
    return new Mutation<>(
        new PnCounter(increments, n.state()), new PnCounter(GCounter.empty(), n.delta()));
  }

  /** Returns P − N. */
  public BigInteger value() {
    return increments.value().subtract(decrements.value());
  }

  /** Returns P, the increments; its entries may exceed {@link Long#MAX_VALUE}. */
  public GCounter increments() {
    return increments;
  }

  /** Returns N, the magnitudes of the decrements; its entries may exceed {@link Long#MAX_VALUE}. */
  public GCounter decrements() {
    return decrements;
  }

  @Override
  public boolean isEmpty() {
    return increments.isEmpty() && decrements.isEmpty();
  }

  @Override
  public PnCounter join(PnCounter other) {
    GCounter p = increments.join(other.increments);
    GCounter n = decrements.join(other.decrements);
    if (p == increments && n == decrements) {
      return this;
    }
    if (p.equals(other.increments) && n.equals(other.decrements)) {
      return other; // halves are a few entries; comparing is cheaper than allocating
    }
    return new PnCounter(p, n);
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof PnCounter other
            && increments.equals(other.increments)
            && decrements.equals(other.decrements));
  }

  @Override
  public int hashCode() {
    return 31 * increments.hashCode() + decrements.hashCode();
  }

  @Override
  public String toString() {
    return "PnCounter{value=" + value() + ", p=" + increments + ", n=" + decrements + "}";
  }
}
