package io.meridian.replication.strong;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;

/**
 * Hands a strong-key request straight to this node's own division of the key's Raft group while
 * that division leads the group, instead of through a Raft client.
 *
 * <p>Why: a Raft client reaches even a leader in its own JVM over gRPC on loopback — a request and
 * a reply each serialized, written to a socket, read by gRPC's event loop and handed to its
 * executor, and by Ratis to its client executor — and on a small machine those hand-offs are a good
 * share of a trip's CPU. The node a client talks to often leads the groups (elections favour the
 * node that started first), so this is the common path.
 *
 * <p>At most once: a request given to the division here is not retried by a client; if it fails,
 * the caller sends it again through a client, as a new call. Should the division have appended it
 * after all (it lost its leadership with the entry pending, say), the state machine applies only
 * the first copy ({@link ClientSession}).
 *
 * <p>Never blocks the caller: Ratis' own lookup of a division waits for a group that is being
 * added, so divisions are looked up on {@code lookups} and remembered; until then, and after a
 * division was closed, requests take the client path.
 */
final class LocalLeader {
  private final RaftServer server;
  private final Executor lookups;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final AtomicLong submitted = new AtomicLong();
  private final Map<RaftGroupId, RaftServer.Division> divisions = new ConcurrentHashMap<>();
  private final Map<RaftGroupId, Boolean> lookingUp = new ConcurrentHashMap<>();

  LocalLeader(RaftServer server, Executor lookups) {
    this.server = server;
    this.lookups = lookups;
  }

  /**
   * Submits {@code message}, a write or a read through the log, to this node's division of {@code
   * group} if that division leads the group and is ready for requests; empty, with nothing
   * submitted, if not.
   */
  Optional<CompletableFuture<RaftClientReply>> submit(RaftGroupId group, Message message) {
    // The division itself takes client requests (Ratis' RaftServerImpl); the server's own
    // submitClientRequestAsync would hand each to a thread pool and block until it is appended.
    Optional<RaftServer.Division> leading = leading(group);
    if (leading.isEmpty() || !(leading.get() instanceof RaftClientAsynchronousProtocol direct)) {
      return Optional.empty();
    }
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(server.getId())
            .setGroupId(group)
            .setCallId(callIds.incrementAndGet())
            .setMessage(message)
            .setType(RaftClientRequest.writeRequestType())
            .build();
    submitted.incrementAndGet();
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = direct.submitClientRequestAsync(request);
    } catch (IOException | RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    return Optional.of(reply);
  }

  /**
   * This node's division of {@code group} as a leader that reads ({@link LeaderReads}): its term
   * and commit index, read while it led in that term; empty if it does not lead the group.
   */
  Optional<LeaderReads.Leadership> leadership(RaftGroupId group) {
    Optional<RaftServer.Division> leading = leading(group);
    if (leading.isEmpty()
        || !(leading.get().getStateMachine() instanceof StrongStateMachine machine)) {
      return Optional.empty();
    }
    DivisionInfo info = leading.get().getInfo();
    long term = info.getCurrentTerm();
    long commitIndex = leading.get().getRaftLog().getLastCommittedIndex();
    if (!info.isLeader() || info.getCurrentTerm() != term) {
      // It stepped down meanwhile: that commit index may be a follower's, behind the leader's.
      return Optional.empty();
    }
    return Optional.of(new LeaderReads.Leadership(term, commitIndex, machine::readAfter));
  }

  /**
   * This node's division of {@code group} if it leads the group and is ready for requests (it has
   * applied the entry that began its term, so its commit index covers every entry committed in
   * earlier terms); empty if not, or while the division is being looked up.
   */
  private Optional<RaftServer.Division> leading(RaftGroupId group) {
    RaftServer.Division division = divisions.get(group);
    if (division == null) {
      lookUp(group);
      return Optional.empty();
    }
    DivisionInfo info = division.getInfo();
    if (!info.isAlive()) {
      // Closed (a repair replaces a division whose storage failed): find its successor.
      divisions.remove(group, division);
      lookUp(group);
      return Optional.empty();
    }
    if (!info.isLeader() || !info.isLeaderReady()) {
      return Optional.empty();
    }
    return Optional.of(division);
  }

  /** How many requests were submitted here so far. */
  long submitted() {
    return submitted.get();
  }

  /** Forgets the division of {@code group} (it is being removed). */
  void forget(RaftGroupId group) {
    divisions.remove(group);
  }

  private void lookUp(RaftGroupId group) {
    if (lookingUp.putIfAbsent(group, Boolean.TRUE) != null) {
      return;
    }
    try {
      lookups.execute(
          () -> {
            try {
              divisions.put(group, server.getDivision(group));
            } catch (IOException | RuntimeException e) {
              // Not hosted here (yet): a later request looks again.
            } finally {
              lookingUp.remove(group);
            }
          });
    } catch (RejectedExecutionException e) {
      lookingUp.remove(group); // shutting down
    }
  }
}
