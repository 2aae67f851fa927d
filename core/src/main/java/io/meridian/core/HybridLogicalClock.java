package io.meridian.core;

import java.util.function.LongSupplier;

/**
 * A hybrid logical clock (Kulkarni et al., "Logical Physical Clocks and Consistent Snapshots in
 * Globally Distributed Databases", 2014): timestamps that follow physical time when it moves
 * forward, never go backwards, and exceed every timestamp this node has observed.
 *
 * <p>A timestamp packs the physical milliseconds into the high 48 bits and a logical counter into
 * the low 16; a counter that overflows carries into the millisecond, which keeps timestamps
 * strictly increasing at any rate. Monotonicity across restarts is the store's job: it persists
 * {@link #current()} in the same transaction as any write that used it and calls {@link
 * #restoreAtLeast} when it opens.
 *
 * <p>Thread-safe; in practice only the storage writer issues timestamps.
 */
public final class HybridLogicalClock {
  private static final int LOGICAL_BITS = 16;

  private final LongSupplier physicalMillis;
  private long last;

  public HybridLogicalClock(LongSupplier physicalMillis) {
    this.physicalMillis = physicalMillis;
  }

  /** A clock reading the system wall clock. */
  public static HybridLogicalClock system() {
    return new HybridLogicalClock(System::currentTimeMillis);
  }

  /** A new timestamp, greater than every timestamp issued or observed so far. */
  public synchronized long now() {
    last = Math.max(last + 1, physicalMillis.getAsLong() << LOGICAL_BITS);
    return last;
  }

  /** Takes a timestamp seen from elsewhere into account, so later ones exceed it. */
  public synchronized void observe(long timestamp) {
    last = Math.max(last, timestamp);
  }

  /** The greatest timestamp issued or observed so far (the high-water mark to persist). */
  public synchronized long current() {
    return last;
  }

  /** After a restart: resume above every timestamp issued before it. */
  public synchronized void restoreAtLeast(long highWater) {
    last = Math.max(last, highWater);
  }

  /** The physical part of a timestamp, in milliseconds since the epoch. */
  public static long physicalMillisOf(long timestamp) {
    return timestamp >>> LOGICAL_BITS;
  }
}
