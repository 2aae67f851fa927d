package io.meridian.replication.strong;

import java.util.concurrent.atomic.LongAdder;

/**
 * How many trips through Raft one kind of this node's requests took, and how many commands they
 * carried ({@link GroupBatcher}): their ratio is the batching actually achieved, which decides what
 * a request costs on a machine short of CPU. Published as {@code meridian_strong_trips_total} and
 * {@code meridian_strong_trip_commands_total} ({@link StrongKeyMetrics}).
 */
final class TripTally {
  private final LongAdder trips = new LongAdder();
  private final LongAdder commands = new LongAdder();

  /** Counts one trip sent with {@code carried} commands. */
  void sent(int carried) {
    trips.increment();
    commands.add(carried);
  }

  long trips() {
    return trips.sum();
  }

  long commands() {
    return commands.sum();
  }
}
