package io.meridian.replication.strong;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader and term of the groups this node does not vote in, as their voters tell it: so that
 * {@code /v1/cluster/status} names every group's leader on every node, as etcd's members all name
 * the cluster's leader. {@link #refresh} asks each such group's voters (the one that led it last
 * time first) until one answers that it leads; {@link #known} gives what was learnt, for a while.
 *
 * <p>Each question is one attempt with a short timeout and no retry, on a thread of the caller's
 * choosing (not the status requests' one: a voter that is down costs that timeout).
 */
final class VotersView implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VotersView.class);

  /** What the voters said about a group, and when. */
  record Known(String leader, long term, long atMillis) {}

  private final RaftProperties clientProperties;
  private final LongSupplier clockMillis;
  private final long maxAgeMillis;
  private final Map<RaftGroupId, RaftClient> clients = new ConcurrentHashMap<>();
  private final Map<RaftGroupId, Known> known = new ConcurrentHashMap<>();

  /**
   * @param clientProperties the clients' settings (their request timeout is each question's)
   * @param maxAgeMillis how long an answer is shown; older ones are dropped
   */
  VotersView(RaftProperties clientProperties, LongSupplier clockMillis, long maxAgeMillis) {
    this.clientProperties = clientProperties;
    this.clockMillis = clockMillis;
    this.maxAgeMillis = maxAgeMillis;
  }

  /** Asks the voters of each of {@code groups} who leads it. Blocks: a question at a time. */
  void refresh(List<RaftGroup> groups) {
    for (RaftGroup group : groups) {
      RaftClient client =
          clients.computeIfAbsent(
              group.getGroupId(),
              id ->
                  RaftClient.newBuilder()
                      .setProperties(clientProperties)
                      .setRaftGroup(group)
                      .setClientId(ClientId.randomId())
                      .setRetryPolicy(RetryPolicies.noRetry())
                      .build());
      for (RaftPeerId voter : askingOrder(group)) {
        Optional<Known> answer = ask(client, group, voter);
        if (answer.isPresent()) {
          known.put(group.getGroupId(), answer.get());
          break;
        }
      }
    }
  }

  /** What the voters last said about {@code group}, if they said it recently. */
  Optional<Known> known(RaftGroupId group) {
    return Optional.ofNullable(known.get(group))
        .filter(answer -> clockMillis.getAsLong() - answer.atMillis() <= maxAgeMillis);
  }

  private List<RaftPeerId> askingOrder(RaftGroup group) {
    List<RaftPeerId> order = new ArrayList<>();
    Optional.ofNullable(known.get(group.getGroupId()))
        .map(answer -> RaftPeerId.valueOf(answer.leader()))
        .ifPresent(order::add);
    for (RaftPeer peer : group.getPeers()) {
      if (!order.contains(peer.getId())) {
        order.add(peer.getId());
      }
    }
    return order;
  }

  /** The group's leader and term, if {@code voter} answers that it leads. */
  private Optional<Known> ask(RaftClient client, RaftGroup group, RaftPeerId voter) {
    try {
      GroupInfoReply reply = client.getGroupManagementApi(voter).info(group.getGroupId());
      RoleInfoProto role = reply.getRoleInfoProto();
      if (reply.isSuccess() && role.getRole() == RaftPeerRole.LEADER) {
        return Optional.of(
            new Known(voter.toString(), role.getLeaderInfo().getTerm(), clockMillis.getAsLong()));
      }
    } catch (IOException | RuntimeException e) {
      log.debug("group {}: {} did not say who leads: {}", group.getGroupId(), voter, e.toString());
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    for (RaftClient client : clients.values()) {
      try {
        client.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
    clients.clear();
  }
}
