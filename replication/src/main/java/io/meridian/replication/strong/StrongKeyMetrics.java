package io.meridian.replication.strong;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The Raft groups of strong keys as this node sees them, for alerting: per group ({@code group}
 * tag, its index) whether it has a leader, whether this node is that leader, its term, and how
 * often its leader changed — what operators of etcd watch as {@code etcd_server_has_leader}, {@code
 * etcd_server_is_leader} and {@code etcd_server_leader_changes_seen_total}; and per kind of request
 * ({@code kind} tag: {@code write}, {@code read}) the trips through Raft this node sent and the
 * commands they carried ({@link TripTally}).
 *
 * <p>The gauges read the latest {@link #update snapshot} rather than asking Ratis: a scrape runs on
 * an HTTP event loop, and looking up a division may wait for one that is starting. A group the node
 * knows nothing of yet (strong keys not placed) has no leader.
 */
final class StrongKeyMetrics {
  private volatile List<StrongKeys.GroupStatus> latest = List.of();

  /**
   * @param leaderChangesOf how many times this node learned of a new leader of a group, by the
   *     group's Raft id
   */
  StrongKeyMetrics(
      int groups,
      String self,
      MeterRegistry registry,
      ToLongFunction<String> leaderChangesOf,
      TripTally writes,
      TripTally reads) {
    trips(registry, "write", writes);
    trips(registry, "read", reads);
    for (int index = 0; index < groups; index++) {
      String group = Integer.toString(index);
      int at = index;
      FunctionCounter.builder(
              "meridian.strong.group.leader.changes",
              this,
              metrics ->
                  metrics
                      .status(at)
                      .map(status -> (double) leaderChangesOf.applyAsLong(status.raftId()))
                      .orElse(0.0))
          .description("how many times this node learned of a new leader of the group")
          .tag("group", group)
          .register(registry);
      gauge(
          registry,
          "meridian.strong.group.has.leader",
          "1 when this node knows a leader of the group",
          group,
          index,
          status -> status.leader().isPresent() ? 1 : 0);
      gauge(
          registry,
          "meridian.strong.group.is.leader",
          "1 when this node leads the group",
          group,
          index,
          status -> status.leader().filter(self::equals).isPresent() ? 1 : 0);
      gauge(
          registry,
          "meridian.strong.group.term",
          "the group's Raft term as this node knows it",
          group,
          index,
          status -> status.term().orElse(0L));
    }
  }

  private static void trips(MeterRegistry registry, String kind, TripTally tally) {
    FunctionCounter.builder("meridian.strong.trips", tally, TripTally::trips)
        .description(
            "requests this node sent to Raft groups, each carrying one or more commands of clients")
        .tag("kind", kind)
        .register(registry);
    FunctionCounter.builder("meridian.strong.trip.commands", tally, TripTally::commands)
        .description(
            "commands those requests carried; per request, the batching achieved (GroupBatcher)")
        .tag("kind", kind)
        .register(registry);
  }

  /** Replaces the snapshot the gauges read. */
  void update(List<StrongKeys.GroupStatus> groups) {
    latest = List.copyOf(groups);
  }

  private void gauge(
      MeterRegistry registry,
      String name,
      String description,
      String group,
      int index,
      ToDoubleFunction<StrongKeys.GroupStatus> value) {
    Gauge.builder(
            name, this, metrics -> metrics.status(index).map(value::applyAsDouble).orElse(0.0))
        .description(description)
        .tag("group", group)
        .register(registry);
  }

  private Optional<StrongKeys.GroupStatus> status(int index) {
    return latest.stream().filter(status -> status.index() == index).findFirst();
  }
}
