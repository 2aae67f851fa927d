package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StrongKeyMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Map<String, Long> leaderChanges = new HashMap<>();
  private final TripTally writes = new TripTally();
  private final TripTally reads = new TripTally();
  private final StrongKeyMetrics metrics =
      new StrongKeyMetrics(
          3, "n1", registry, raftId -> leaderChanges.getOrDefault(raftId, 0L), writes, reads);

  @Test
  void tripsAndTheCommandsTheyCarried_arePublishedPerKind() {
    writes.sent(1);
    writes.sent(5);
    reads.sent(3);
    assertThat(trips("meridian.strong.trips", "write")).isEqualTo(2);
    assertThat(trips("meridian.strong.trip.commands", "write")).isEqualTo(6);
    assertThat(trips("meridian.strong.trips", "read")).isEqualTo(1);
    assertThat(trips("meridian.strong.trip.commands", "read")).isEqualTo(3);
  }

  @Test
  void beforeAnySnapshot_noGroupHasALeader() {
    for (String group : List.of("0", "1", "2")) {
      assertThat(gauge("meridian.strong.group.has.leader", group)).isZero();
      assertThat(gauge("meridian.strong.group.is.leader", group)).isZero();
    }
  }

  @Test
  void snapshot_setsLeaderPresenceLeadershipAndTermPerGroup() {
    metrics.update(
        List.of(
            status(0, Optional.of("n1"), Optional.of(4L), "leader"),
            status(1, Optional.of("n2"), Optional.of(7L), "follower"),
            status(2, Optional.empty(), Optional.of(9L), "candidate")));

    assertThat(gauge("meridian.strong.group.has.leader", "0")).isEqualTo(1);
    assertThat(gauge("meridian.strong.group.is.leader", "0")).isEqualTo(1);
    assertThat(gauge("meridian.strong.group.term", "0")).isEqualTo(4);
    assertThat(gauge("meridian.strong.group.has.leader", "1")).isEqualTo(1);
    assertThat(gauge("meridian.strong.group.is.leader", "1")).isZero();
    assertThat(gauge("meridian.strong.group.term", "1")).isEqualTo(7);
    assertThat(gauge("meridian.strong.group.has.leader", "2")).isZero();
    assertThat(gauge("meridian.strong.group.term", "2")).isEqualTo(9);
  }

  @Test
  void aLaterSnapshot_replacesTheEarlierOne() {
    metrics.update(List.of(status(0, Optional.of("n1"), Optional.of(4L), "leader")));
    metrics.update(List.of(status(0, Optional.empty(), Optional.of(5L), "follower")));

    assertThat(gauge("meridian.strong.group.has.leader", "0")).isZero();
    assertThat(gauge("meridian.strong.group.is.leader", "0")).isZero();
    assertThat(gauge("meridian.strong.group.term", "0")).isEqualTo(5);
  }

  @Test
  void leaderChanges_areCountedPerGroupByItsRaftId() {
    metrics.update(
        List.of(
            status(0, Optional.of("n1"), Optional.of(4L), "leader"),
            status(1, Optional.of("n2"), Optional.of(7L), "follower")));
    leaderChanges.put("group-1", 3L);

    assertThat(leaderChanges("0")).isZero();
    assertThat(leaderChanges("1")).isEqualTo(3);
    assertThat(leaderChanges("2")).as("a group not placed yet").isZero();
  }

  private double leaderChanges(String group) {
    return registry
        .get("meridian.strong.group.leader.changes")
        .tag("group", group)
        .functionCounter()
        .count();
  }

  private double trips(String name, String kind) {
    return registry.get(name).tag("kind", kind).functionCounter().count();
  }

  private double gauge(String name, String group) {
    return registry.get(name).tag("group", group).gauge().value();
  }

  private static StrongKeys.GroupStatus status(
      int index, Optional<String> leader, Optional<Long> term, String role) {
    return new StrongKeys.GroupStatus(
        index, "group-" + index, leader, term, role, List.of("n1", "n2", "n3"));
  }
}
