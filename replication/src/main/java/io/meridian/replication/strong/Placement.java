package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Which nodes vote in which strong-key group. Fixed once made: it is agreed on once per cluster,
 * persisted by every node, and never recomputed when members come and go (README, "Status").
 *
 * <p>A key belongs to group {@code floorMod(MurmurHash3_x64_128(key)[0], groups)}. Each group has
 * {@link #VOTERS} voters (or every member, when there are fewer), chosen by rendezvous hashing of
 * (group, node id) with region diversity first: walking the nodes in the group's hash order, the
 * first node of each not-yet-used region is taken, then the remaining places are filled in the same
 * order. With three or more regions a group's voters are in three different regions (the tiebreaker
 * rule: losing a region leaves a majority); otherwise they are distinct nodes, spread over the
 * regions there are. The result depends only on the member list.
 *
 * @param id a random id given to this placement when it was made; the groups' Raft ids derive from
 *     it, so two placements never share a group
 */
public record Placement(String id, List<Group> groups) {
  public static final int VOTERS = 3;

  public Placement {
    Objects.requireNonNull(id, "id");
    groups = List.copyOf(groups);
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("a placement has at least one group");
    }
    for (int i = 0; i < groups.size(); i++) {
      if (groups.get(i).index() != i) {
        throw new IllegalArgumentException("group " + i + " is out of order");
      }
    }
  }

  /** One group: its index, its Raft group id and its voters. */
  public record Group(int index, UUID raftId, List<RaftMember> voters) {
    public Group {
      Objects.requireNonNull(raftId, "raftId");
      voters = List.copyOf(voters);
      if (voters.isEmpty()) {
        throw new IllegalArgumentException("group " + index + " has no voters");
      }
    }

    public boolean hasVoter(String nodeId) {
      return voters.stream().anyMatch(v -> v.id().equals(nodeId));
    }

    /** The voter after {@code nodeId} in this group's order: the first when it is none (null). */
    public RaftMember voterAfter(String nodeId) {
      int at = -1;
      for (int i = 0; i < voters.size(); i++) {
        if (voters.get(i).id().equals(nodeId)) {
          at = i;
        }
      }
      return voters.get((at + 1) % voters.size());
    }
  }

  /** A placement over {@code members} (at least one), with a fresh random id. */
  public static Placement compute(int groupCount, List<RaftMember> members) {
    return compute(UUID.randomUUID().toString(), groupCount, members);
  }

  static Placement compute(String id, int groupCount, List<RaftMember> members) {
    if (groupCount < 1 || members.isEmpty()) {
      throw new IllegalArgumentException("need at least one group and one member");
    }
    Map<String, RaftMember> byId = new TreeMap<>();
    members.forEach(m -> byId.put(m.id(), m));
    List<Group> groups = new ArrayList<>();
    for (int g = 0; g < groupCount; g++) {
      groups.add(new Group(g, raftId(id, g), voters(g, List.copyOf(byId.values()))));
    }
    return new Placement(id, groups);
  }

  /** The placement of a node running alone: it is the only voter of every group. */
  public static Placement standalone(int groupCount, RaftMember self) {
    return compute("standalone-" + self.id(), groupCount, List.of(self));
  }

  private static List<RaftMember> voters(int group, List<RaftMember> members) {
    List<RaftMember> ranked = new ArrayList<>(members);
    ranked.sort(
        Comparator.comparingLong((RaftMember m) -> rank(group, m.id()))
            .reversed()
            .thenComparing(RaftMember::id));
    int size = Math.min(VOTERS, ranked.size());
    List<RaftMember> voters = new ArrayList<>(size);
    Set<String> regions = new HashSet<>();
    for (RaftMember member : ranked) {
      if (voters.size() < size && regions.add(member.region())) {
        voters.add(member);
      }
    }
    for (RaftMember member : ranked) {
      if (voters.size() < size && !voters.contains(member)) {
        voters.add(member);
      }
    }
    return voters;
  }

  private static long rank(int group, String nodeId) {
    return MurmurHash3.hash128x64((group + "/" + nodeId).getBytes(UTF_8))[0];
  }

  private static UUID raftId(String placementId, int group) {
    return UUID.nameUUIDFromBytes(("meridian-strong/" + placementId + "/" + group).getBytes(UTF_8));
  }

  /** The group that {@code key} belongs to. */
  public Group groupOf(String key) {
    return groups.get(groupIndex(key, groups.size()));
  }

  /** The index of the group of {@code key} among {@code groupCount} groups. */
  public static int groupIndex(String key, int groupCount) {
    return Math.floorMod(MurmurHash3.hash128x64(key.getBytes(UTF_8))[0], groupCount);
  }

  /** Every member that votes in some group. */
  public Set<RaftMember> voters() {
    Set<RaftMember> all = new HashSet<>();
    groups.forEach(g -> all.addAll(g.voters()));
    return all;
  }

  public JsonObject toJson() {
    JsonArray groupsJson = new JsonArray();
    for (Group group : groups) {
      JsonArray voters = new JsonArray();
      group
          .voters()
          .forEach(
              v ->
                  voters.add(
                      new JsonObject()
                          .put("id", v.id())
                          .put("region", v.region())
                          .put("address", v.address())));
      groupsJson.add(
          new JsonObject()
              .put("index", group.index())
              .put("raftId", group.raftId().toString())
              .put("voters", voters));
    }
    return new JsonObject().put("id", id).put("groups", groupsJson);
  }

  public static Placement fromJson(JsonObject json) {
    List<Group> groups = new ArrayList<>();
    for (Object g : json.getJsonArray("groups")) {
      JsonObject group = (JsonObject) g;
      List<RaftMember> voters = new ArrayList<>();
      for (Object v : group.getJsonArray("voters")) {
        JsonObject voter = (JsonObject) v;
        voters.add(
            new RaftMember(
                voter.getString("id"), voter.getString("region"), voter.getString("address")));
      }
      groups.add(
          new Group(group.getInteger("index"), UUID.fromString(group.getString("raftId")), voters));
    }
    return new Placement(json.getString("id"), groups);
  }
}
