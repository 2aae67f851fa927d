package io.meridian.replication.strong;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the leadership of each group this node leads to the group's preferred voter ({@link
 * Placement#preferredLeaders}) once that voter is responding and caught up, with Ratis' leadership
 * transfer: the leader sends it the last entries and tells it to start an election at once.
 *
 * <p>Without this, the node that started first tends to lead every group and carries all of their
 * client traffic and replication fan-out alone. The hand-over waits until the preferred voter has
 * been caught up for ten seconds while this node led. Ratis' peer priorities would do the same
 * hand-over, but a voter of higher priority also refuses its vote to an equally up-to-date
 * candidate of lower priority, so a leader that dies while the preferred voter is alive but not
 * leading (for seconds after that voter restarts) is replaced only once the preferred voter's own
 * election timeout fires: leader-kill runs showed failovers about a second slower in that case.
 * Transfers leave elections as they are.
 */
final class LeaderBalance {
  private static final Logger log = LoggerFactory.getLogger(LeaderBalance.class);
  private static final Duration CHECK_EVERY = Duration.ofSeconds(2);

  /**
   * How many checks in a row must find this node leading and the preferred voter caught up before
   * the hand-over: ten seconds. A voter that has just restarted is caught up within seconds (its
   * log is on disk) but its JVM is still cold; handed the leadership then, it took seconds to win
   * the election, and a group whose leader had just failed over to this node was without a leader
   * again (a leader-kill run: 8.2 s without writes instead of about 3).
   */
  private static final int SETTLE_CHECKS = 5;

  /** A follower that has not answered the leader for this long is not handed anything. */
  private static final Duration RESPONSIVE = Duration.ofSeconds(1);

  /**
   * How long a transfer may take. The leader refuses writes meanwhile (they are retried), and a
   * caught-up transferee is normally elected within milliseconds.
   */
  private static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(1);

  private final RaftServer server;
  private final Supplier<Optional<Placement>> placement;
  private final LongSupplier nonces;

  /** Per group: how many checks in a row have found it ready to be handed over. */
  private final Map<RaftGroupId, Integer> settled = new HashMap<>();

  LeaderBalance(RaftServer server, Supplier<Optional<Placement>> placement, LongSupplier nonces) {
    this.server = server;
    this.placement = placement;
    this.nonces = nonces;
  }

  /** Checks the groups this node leads every two seconds, on {@code scheduler}'s one thread. */
  void start(ScheduledExecutorService scheduler) {
    try {
      scheduler.scheduleWithFixedDelay(
          this::check, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the node is closing
    }
  }

  private void check() {
    Optional<Placement> current = placement.get();
    if (current.isEmpty()) {
      return;
    }
    List<RaftMember> preferred = current.get().preferredLeaders();
    for (Placement.Group group : current.get().groups()) {
      RaftPeerId target = RaftPeerId.valueOf(preferred.get(group.index()).id());
      if (target.equals(server.getId())) {
        continue;
      }
      RaftGroupId id = RaftGroupId.valueOf(group.raftId());
      try {
        RaftServer.Division division = server.getDivision(id);
        DivisionInfo info = division.getInfo();
        boolean ready =
            info.isLeader()
                && info.isLeaderReady()
                && caughtUp(
                    info.getRoleInfoProto(),
                    info.getFollowerMatchIndices(),
                    target,
                    division.getRaftLog().getLastCommittedIndex());
        if (!ready) {
          settled.remove(id);
        } else if (settled.merge(id, 1, Integer::sum) >= SETTLE_CHECKS) {
          settled.remove(id);
          transfer(id, target);
        }
      } catch (IOException | RuntimeException e) {
        // not hosted here, being repaired, or the server is closing
        settled.remove(id);
      }
    }
  }

  /**
   * Whether {@code peer} answered this leader within the last second and has every committed entry.
   * {@code roleInfo} lists the followers in the order of {@code matchIndices} (both follow the
   * leader's log appenders); a leader change between the two readings shows as a different count or
   * a missing leader section, and is not trusted.
   */
  static boolean caughtUp(
      RoleInfoProto roleInfo, long[] matchIndices, RaftPeerId peer, long committedIndex) {
    if (matchIndices == null || !roleInfo.hasLeaderInfo()) {
      return false;
    }
    List<ServerRpcProto> followers = roleInfo.getLeaderInfo().getFollowerInfoList();
    if (followers.size() != matchIndices.length) {
      return false;
    }
    for (int i = 0; i < followers.size(); i++) {
      ServerRpcProto follower = followers.get(i);
      if (RaftPeerId.valueOf(follower.getId().getId()).equals(peer)) {
        return follower.getLastRpcElapsedTimeMs() <= RESPONSIVE.toMillis()
            && matchIndices[i] >= committedIndex;
      }
    }
    return false;
  }

  private void transfer(RaftGroupId id, RaftPeerId target) {
    log.info("strong keys: handing the leadership of {} to its preferred voter {}", id, target);
    TransferLeadershipRequest request =
        new TransferLeadershipRequest(
            ClientId.randomId(),
            server.getId(),
            id,
            nonces.getAsLong(),
            target,
            TRANSFER_TIMEOUT.toMillis());
    try {
      server
          .transferLeadershipAsync(request)
          .whenComplete(
              (reply, failure) -> {
                if (failure != null || !reply.isSuccess()) {
                  log.info(
                      "strong keys: handing {} to {} did not happen: {}",
                      id,
                      target,
                      failure != null
                          ? failure.toString()
                          : reply.getException() != null ? reply.getException() : reply);
                }
              });
    } catch (IOException | RuntimeException e) {
      log.info("strong keys: handing {} to {} failed: {}", id, target, e.toString());
    }
  }
}
