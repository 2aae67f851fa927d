package io.meridian.replication.strong;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * How many trips through Raft one kind of this node's requests may have in flight at once, over all
 * groups; the {@link GroupBatcher}s of the groups share it.
 *
 * <p>Why: on a machine short of CPU a trip costs about the same whatever it carries (see {@link
 * GroupBatcher}), and with each group's trip in flight on its own, a group's trip carries only what
 * arrived for that group during its last one: with closed-loop clients spread over G groups, about
 * clients / (1.5 G). While every slot is taken, groups wait for one in turn (first come, first
 * served) and their requests gather meanwhile, so each trip carries more and the same work takes
 * fewer trips. An idle node never waits: a lone request leaves at once.
 *
 * <p>Groups stay independent: a trip holds its slot until it returns or for at most the lease, so a
 * group that cannot answer (a dead leader, an election: a trip that takes seconds) holds the others
 * back once by the lease, not for its whole wait.
 */
final class TripGate {

  /** A place among the trips in flight; released once its trip returns (again is harmless). */
  interface Slot {
    void release();
  }

  private static final Slot ANY = () -> {};

  /** No limit: every trip leaves at once. */
  static final TripGate UNLIMITED = new TripGate(0, Duration.ZERO, null, System::nanoTime);

  private final class Held implements Slot {
    final long since;

    Held(long since) {
      this.since = since;
    }

    @Override
    public void release() {
      handOn(this);
    }
  }

  private record Grant(Consumer<Slot> to, Held slot) {}

  private final int slots;
  private final long leaseNanos;
  private final ScheduledExecutorService timer;
  private final LongSupplier nanoTime;
  private final ArrayDeque<Held> held = new ArrayDeque<>(); // guarded by this; oldest first
  private final ArrayDeque<Consumer<Slot>> waiting = new ArrayDeque<>(); // guarded by this
  private boolean timerSet; // guarded by this

  /**
   * @param slots trips in flight at once; 0 for no limit
   * @param lease the longest a trip holds its slot
   * @param timer ends the leases of trips that outlast them while others wait
   */
  TripGate(int slots, Duration lease, ScheduledExecutorService timer, LongSupplier nanoTime) {
    if (slots < 0) {
      throw new IllegalArgumentException("slots must be 0 (no limit) or more: " + slots);
    }
    this.slots = slots;
    this.leaseNanos = lease.toNanos();
    this.timer = timer;
    this.nanoTime = nanoTime;
  }

  /**
   * A slot now, if one is free; otherwise null, and {@code whenFree} gets one later, called by the
   * thread that frees it (a returning trip's or the timer's: hand the work on from there).
   */
  Slot enter(Consumer<Slot> whenFree) {
    if (slots == 0) {
      return ANY;
    }
    synchronized (this) {
      long now = nanoTime.getAsLong();
      endLeases(now);
      if (held.size() < slots && waiting.isEmpty()) {
        Held slot = new Held(now);
        held.add(slot);
        return slot;
      }
      waiting.add(whenFree);
      if (!timerSet) {
        setTimer(now);
      }
      return null;
    }
  }

  /** How many wait for a slot (for tests). */
  synchronized int waiting() {
    return waiting.size();
  }

  private void endLeases(long now) {
    Iterator<Held> oldestFirst = held.iterator();
    while (oldestFirst.hasNext() && now - oldestFirst.next().since >= leaseNanos) {
      oldestFirst.remove();
    }
  }

  private void setTimer(long now) {
    long wait = held.size() < slots ? 0 : Math.max(0, held.peek().since + leaseNanos - now);
    try {
      timer.schedule(this::leasesRunOut, wait, TimeUnit.NANOSECONDS);
      timerSet = true;
    } catch (RejectedExecutionException e) {
      // Shutting down: the trips in flight still free their slots as they return.
    }
  }

  private void leasesRunOut() {
    handOn(null);
  }

  /**
   * Gives the free slots to those waiting (outside the lock): when a trip returned its slot (again,
   * or after its lease ran out, frees nothing more), or when the timer ({@code returned} null)
   * found leases run out.
   */
  private void handOn(Held returned) {
    List<Grant> grants = List.of(); // most returns find no one waiting: nothing to allocate
    synchronized (this) {
      if (returned == null) {
        timerSet = false;
      } else {
        held.remove(returned);
      }
      long now = nanoTime.getAsLong();
      endLeases(now);
      if (held.size() < slots && !waiting.isEmpty()) {
        grants = new ArrayList<>();
        while (held.size() < slots && !waiting.isEmpty()) {
          Held slot = new Held(now);
          held.add(slot);
          grants.add(new Grant(waiting.poll(), slot));
        }
      }
      if (!waiting.isEmpty() && !timerSet) {
        setTimer(now);
      }
    }
    grants.forEach(grant -> grant.to().accept(grant.slot()));
  }
}
