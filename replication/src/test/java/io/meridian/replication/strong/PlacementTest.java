package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PlacementTest {

  @Test
  void preferredLeaders_areVotersOfTheirGroup_spreadEvenlyOverTheNodes() {
    for (int cluster = 0; cluster < 20; cluster++) {
      Placement placement = Placement.compute("p" + cluster, 8, members(cluster, 3, 1));
      List<RaftMember> leaders = placement.preferredLeaders();

      assertThat(leaders).hasSize(8);
      for (Placement.Group group : placement.groups()) {
        assertThat(group.voters()).contains(leaders.get(group.index()));
      }
      assertThat(countBy(leaders, RaftMember::id).values())
          .as("groups led per node, cluster %d", cluster)
          .containsExactlyInAnyOrder(3L, 3L, 2L);
    }
  }

  @Test
  void preferredLeaders_spreadOverNodesThenRegions_whenGroupsSpanRegions() {
    for (int cluster = 0; cluster < 20; cluster++) {
      Placement placement = Placement.compute("p" + cluster, 9, members(cluster, 9, 3));

      Map<String, Long> perRegion = countBy(placement.preferredLeaders(), RaftMember::region);
      assertThat(perRegion).hasSize(3);
      assertThat(perRegion.values())
          .as("groups led per region, cluster %d", cluster)
          .allSatisfy(led -> assertThat(led).isBetween(2L, 4L));
      assertThat(countBy(placement.preferredLeaders(), RaftMember::id).values())
          .as("groups led per node, cluster %d", cluster)
          .allSatisfy(led -> assertThat(led).isLessThanOrEqualTo(2L));
    }
  }

  @Test
  void preferredLeaders_dependOnlyOnThePlacement() {
    List<RaftMember> members = members(7, 5, 3);
    Placement placement = Placement.compute("p", 8, members);
    List<RaftMember> reversed = new ArrayList<>(members);
    Collections.reverse(reversed);

    assertThat(Placement.compute("p", 8, reversed).preferredLeaders())
        .isEqualTo(placement.preferredLeaders());
    assertThat(Placement.fromJson(placement.toJson()).preferredLeaders())
        .isEqualTo(placement.preferredLeaders());
  }

  @Test
  void aNodeRunningAlone_leadsEveryGroup() {
    RaftMember self = new RaftMember("n1", "r1", "127.0.0.1:7000");

    assertThat(Placement.standalone(8, self).preferredLeaders()).hasSize(8).containsOnly(self);
  }

  /** {@code count} members with ids that differ per {@code cluster}, round-robin over regions. */
  private static List<RaftMember> members(int cluster, int count, int regions) {
    List<RaftMember> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(
          new RaftMember("c" + cluster + "-n" + i, "r" + (i % regions), "127.0.0.1:" + (7000 + i)));
    }
    return members;
  }

  private static <T> Map<T, Long> countBy(List<RaftMember> members, Function<RaftMember, T> key) {
    return members.stream().collect(Collectors.groupingBy(key, Collectors.counting()));
  }
}
