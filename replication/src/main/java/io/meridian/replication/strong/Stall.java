package io.meridian.replication.strong;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Watches, per Raft group, a position that should catch up with a target (a log's flush index with
 * its last entry, an applied index with the commit index): stuck when it has stayed behind without
 * moving for a given time.
 */
final class Stall {
  private final Duration limit;
  private final Map<RaftGroupId, Behind> behind = new ConcurrentHashMap<>();

  private record Behind(long position, long sinceNanos) {}

  Stall(Duration limit) {
    this.limit = limit;
  }

  /** Records one observation; true once {@code position} has been behind, unmoved, too long. */
  boolean stuck(RaftGroupId id, long position, long target, long nowNanos) {
    if (position >= target) {
      behind.remove(id);
      return false;
    }
    Behind since =
        behind.compute(
            id,
            (key, previous) ->
                previous != null && previous.position() == position
                    ? previous
                    : new Behind(position, nowNanos));
    if (nowNanos - since.sinceNanos() < limit.toNanos()) {
      return false;
    }
    behind.remove(id);
    return true;
  }
}
