package io.meridian.replication;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;

/**
 * A single-threaded discrete-event simulator: a simulated clock and a queue of events ordered by
 * time, then by insertion. Everything a simulated cluster does — message deliveries, ticks, storage
 * completions — is an event here, so a run is a pure function of its seed.
 */
final class Simulation {
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final SplittableRandom random;
  private long now;
  private long sequence;

  Simulation(long seed) {
    this.random = new SplittableRandom(seed);
  }

  long now() {
    return now;
  }

  SplittableRandom random() {
    return random;
  }

  void schedule(long delayMillis, Runnable action) {
    events.add(new Event(now + Math.max(0, delayMillis), sequence++, action));
  }

  /** Runs a task "soon" on the simulated context: after everything due now. */
  Executor executor() {
    return task -> schedule(0, task);
  }

  /** Processes events until simulated time reaches {@code untilMillis}. */
  void runUntil(long untilMillis) {
    while (!events.isEmpty() && events.peek().time() <= untilMillis) {
      Event event = events.poll();
      now = event.time();
      event.action().run();
    }
    now = Math.max(now, untilMillis);
  }

  void runFor(long millis) {
    runUntil(now + millis);
  }

  private record Event(long time, long sequence, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event other) {
      int byTime = Long.compare(time, other.time);
      return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }
  }
}
