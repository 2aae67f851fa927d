package io.meridian.replication.strong;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.ratis.client.impl.RaftClientImpl;
import org.apache.ratis.client.impl.UnorderedAsync;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Linearizable reads answered by this node's leading division without a log entry: Raft's ReadIndex
 * (Ongaro's thesis, §6.4), with the leader's check that it still leads done here, because Ratis'
 * own skips that check when its commit index has not moved ({@link RatisStrongKeys}).
 *
 * <p>For reads at a leader of term T: note the commit index c, then ask one follower for its
 * current term. If it answers T, the leader and that follower, a majority of the three voters, were
 * both still in term T after the reads arrived. A leader of a later term needs the votes of a
 * majority, which includes one of the two, and a voter's term never goes back; so no later leader
 * was elected, let alone acknowledged a write, before the reads arrived. Every write acknowledged
 * before then was committed in term T or earlier, so it is at or below c (a ready leader's commit
 * index covers every earlier term's entries). The reads are answered from the leader's state once
 * it has applied c: the state at a moment between their arrival and their answer.
 *
 * <p>Anything else (another term, no answer in time, this node not leading) and the reads go
 * through the log instead, as a write does ({@link GroupCalls}): a read is never answered without a
 * majority.
 *
 * <p>Cost: one query to one follower, shared by every read of a batch ({@link GroupBatcher}); no
 * log entry, no fsync, no apply. Through the log, the same reads cost what a write costs. The
 * follower asked is the one that answered last; after a failure, the other one.
 */
final class LeaderReads {

  /**
   * This node's division of a group while it leads: its term and commit index, read together while
   * it led in that term, and its state machine.
   */
  record Leadership(long term, long commitIndex, Replica replica) {}

  /** A leader's replica of the group's state. */
  @FunctionalInterface
  interface Replica {
    /** Answers {@code reads} once the replica has applied the log through {@code index}. */
    CompletableFuture<StrongReply> readAfter(long index, StrongCommand reads);
  }

  /** Asks a follower for its current term in the group. */
  @FunctionalInterface
  interface TermQuestion {
    /** The follower's current term; empty if it did not answer. */
    CompletableFuture<OptionalLong> ask(RaftPeerId follower, RaftClientImpl client);
  }

  private final String self;
  private final Function<RaftGroupId, Optional<Leadership>> leadership;
  private final TermQuestion question;
  private final Map<UUID, RaftPeerId> askNext = new ConcurrentHashMap<>();
  private final AtomicLong confirmed = new AtomicLong();

  /**
   * @param self this node's id
   * @param leadership this node's division of a group while it leads the group and is ready
   */
  LeaderReads(
      String self, Function<RaftGroupId, Optional<Leadership>> leadership, TermQuestion question) {
    this.self = self;
    this.leadership = leadership;
    this.question = question;
  }

  /**
   * Answers {@code reads} (a {@code Get} or a batch of them) at this node's division of {@code
   * group} if it leads the group and a follower confirms it still does; empty, with nothing read,
   * if not.
   */
  CompletableFuture<Optional<StrongReply>> read(
      Placement.Group group, RaftClientImpl client, StrongCommand reads, long deadlineNanos) {
    Optional<Leadership> leading = leadership.apply(RaftGroupId.valueOf(group.raftId()));
    if (leading.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Leadership leader = leading.get();
    RaftPeerId follower = askNext.computeIfAbsent(group.raftId(), id -> followerAfter(group, null));
    return question
        .ask(follower, client)
        .thenCompose(
            answered -> {
              if (answered.isEmpty() || answered.getAsLong() != leader.term()) {
                askNext.replace(group.raftId(), follower, followerAfter(group, follower));
                return CompletableFuture.completedFuture(Optional.<StrongReply>empty());
              }
              confirmed.incrementAndGet();
              long remainingNanos = Math.max(1, deadlineNanos - System.nanoTime());
              return leader
                  .replica()
                  .readAfter(leader.commitIndex(), reads)
                  .orTimeout(remainingNanos, TimeUnit.NANOSECONDS)
                  .thenApply(Optional::of);
            });
  }

  /** How many batches of reads were answered here after a follower confirmed (for tests). */
  long confirmed() {
    return confirmed.get();
  }

  /**
   * Asks through a group's Raft client: a stale read, which Ratis hands to the follower's own state
   * machine ({@link StrongCommand.Term}). Its nonce is not the retry policy's, so the client does
   * not retry it; a follower that takes longer than {@code timeout} counts as no answer.
   */
  static TermQuestion throughRaftClient(long clientId, LongSupplier nonces, Duration timeout) {
    return (follower, client) -> {
      StrongRequest asked =
          new StrongRequest(clientId, 0, new StrongCommand.Term(nonces.getAsLong()));
      Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(asked.encode()));
      return UnorderedAsync.send(
              RaftClientRequest.staleReadRequestType(0), message, follower, client)
          .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .handle((reply, failure) -> failure == null ? termIn(reply) : OptionalLong.empty());
    };
  }

  private static OptionalLong termIn(RaftClientReply reply) {
    if (!reply.isSuccess() || reply.getMessage() == null) {
      return OptionalLong.empty();
    }
    return StrongReply.decode(reply.getMessage().getContent().asReadOnlyByteBuffer())
            instanceof StrongReply.Term answer
        ? OptionalLong.of(answer.term())
        : OptionalLong.empty();
  }

  /** The group's next voter after {@code follower} (the first when null) that is not this node. */
  private RaftPeerId followerAfter(Placement.Group group, RaftPeerId follower) {
    List<RaftMember> others =
        group.voters().stream().filter(voter -> !voter.id().equals(self)).toList();
    int at = -1;
    for (int i = 0; i < others.size(); i++) {
      if (follower != null && others.get(i).id().equals(follower.toString())) {
        at = i;
      }
    }
    return RaftPeerId.valueOf(others.get((at + 1) % others.size()).id());
  }
}
