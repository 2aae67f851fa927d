package io.meridian.replication.strong;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
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
 * Linearizable reads answered by a group's leader without a log entry: Raft's ReadIndex (Ongaro's
 * thesis, §6.4), with the leader's check that it still leads done here, because Ratis' own skips
 * that check when its commit index has not moved ({@link RatisStrongKeys}).
 *
 * <p>For reads at a leader of term T: note the commit index c, then ask one follower for its
 * current term. If it answers T, the leader and that follower, a majority of the group's three
 * voters (or two), were both still in term T after the reads arrived. A leader of a later term
 * needs the votes of a majority, which includes one of the two, and a voter's term never goes back;
 * so no later leader was elected, let alone acknowledged a write, before the reads arrived. Every
 * write acknowledged before then was committed in term T or earlier, so it is at or below c (a
 * ready leader's commit index covers every earlier term's entries). The reads are answered from the
 * leader's state once it has applied c: the state at a moment between their arrival and their
 * answer. A leader that is its group's only voter (a node running alone) is a majority by itself
 * and asks no one.
 *
 * <p>A node that does not lead the group sends its reads to the leader its Raft client knows
 * ({@link StrongCommand.LeaderRead}), which answers them so. Anything else (another term, no answer
 * in time, no leader known or the leader no longer leading) and the reads go through the log
 * instead, as a write does ({@link GroupCalls}): a read is never answered without a majority.
 *
 * <p>Cost: one query to one follower, shared by every read of a batch ({@link GroupBatcher}), and
 * one more to the leader for reads that arrive elsewhere; no log entry, no fsync, no apply. Through
 * the log, the same reads cost what a write costs. The follower asked is the one that answered
 * last; after a failure, the other one.
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

  /** Sends a command that a voter's state machine answers itself (not through the log). */
  @FunctionalInterface
  interface Queries {
    /** The voter's answer; empty if it failed or did not answer within {@code timeout}. */
    CompletableFuture<Optional<StrongReply>> ask(
        RaftPeerId voter, RaftClientImpl client, StrongCommand query, Duration timeout);
  }

  private final String self;
  private final Function<RaftGroupId, Optional<Leadership>> leadership;
  private final Queries queries;
  private final LongSupplier nonces;
  private final Duration answerTimeout;
  private final Map<UUID, RaftPeerId> askNext = new ConcurrentHashMap<>();
  private final AtomicLong confirmed = new AtomicLong();

  /**
   * @param self this node's id
   * @param leadership this node's division of a group while it leads the group and is ready
   * @param answerTimeout how long a follower may take to tell its term; a leader answering reads
   *     sent to it is given twice that
   */
  LeaderReads(
      String self,
      Function<RaftGroupId, Optional<Leadership>> leadership,
      Queries queries,
      LongSupplier nonces,
      Duration answerTimeout) {
    this.self = self;
    this.leadership = leadership;
    this.queries = queries;
    this.nonces = nonces;
    this.answerTimeout = answerTimeout;
  }

  /**
   * Answers {@code reads} (a {@code Get} or a batch of them) at this node's division of {@code
   * group} if it leads the group and a follower confirms it still does; empty, with nothing read,
   * if not.
   */
  CompletableFuture<Optional<StrongReply>> read(
      Placement.Group group, RaftClientImpl client, StrongCommand reads, long deadlineNanos) {
    if (!group.hasVoter(self)) {
      return CompletableFuture.completedFuture(Optional.empty()); // no division here to lead it
    }
    Optional<Leadership> leading = leadership.apply(RaftGroupId.valueOf(group.raftId()));
    if (leading.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Leadership leader = leading.get();
    if (group.voters().size() == 1) {
      // This node is the group's only voter, a majority by itself: no other leader can arise.
      return readAt(leader, reads, deadlineNanos);
    }
    RaftPeerId follower = askNext.computeIfAbsent(group.raftId(), id -> followerAfter(group, null));
    return queries
        .ask(follower, client, new StrongCommand.Term(nonces.getAsLong()), answerTimeout)
        .thenCompose(
            answered -> {
              if (!(answered.orElse(null) instanceof StrongReply.Term term)
                  || term.term() != leader.term()) {
                askNext.replace(group.raftId(), follower, followerAfter(group, follower));
                return CompletableFuture.completedFuture(Optional.<StrongReply>empty());
              }
              return readAt(leader, reads, deadlineNanos);
            });
  }

  /** Answers {@code reads} from the confirmed leader's replica once it has applied its index. */
  private CompletableFuture<Optional<StrongReply>> readAt(
      Leadership leader, StrongCommand reads, long deadlineNanos) {
    confirmed.incrementAndGet();
    long remainingNanos = Math.max(1, deadlineNanos - System.nanoTime());
    return leader
        .replica()
        .readAfter(leader.commitIndex(), reads)
        .orTimeout(remainingNanos, TimeUnit.NANOSECONDS)
        .thenApply(Optional::of);
  }

  /**
   * Answers reads another node forwarded here ({@link #forward}), within the time it waits for
   * them.
   */
  CompletableFuture<Optional<StrongReply>> readForwarded(
      Placement.Group group, RaftClientImpl client, StrongCommand reads) {
    return read(group, client, reads, System.nanoTime() + forwardTimeout().toNanos());
  }

  /**
   * Sends {@code reads} to {@code leader}, the group's leader as far as this node knows (null if it
   * knows none), which answers them as {@link #read} does; empty if that is this node or none, or
   * if it did not answer them.
   */
  CompletableFuture<Optional<StrongReply>> forward(
      RaftClientImpl client, RaftPeerId leader, StrongCommand reads) {
    if (leader == null || leader.toString().equals(self)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return queries.ask(
        leader, client, new StrongCommand.LeaderRead(nonces.getAsLong(), reads), forwardTimeout());
  }

  /**
   * How long a node waits for the leader to answer forwarded reads: its question, then its read.
   */
  private Duration forwardTimeout() {
    return answerTimeout.multipliedBy(2);
  }

  /** How many batches of reads were answered here after a follower confirmed (for tests). */
  long confirmed() {
    return confirmed.get();
  }

  /**
   * Queries through a group's Raft client: a stale read, which Ratis hands to the voter's own state
   * machine. The query's nonce is not the retry policy's, so the client does not retry it.
   */
  static Queries throughRaftClient(long clientId) {
    return (voter, client, query, timeout) -> {
      Message message =
          Message.valueOf(
              UnsafeByteOperations.unsafeWrap(new StrongRequest(clientId, 0, query).encode()));
      return UnorderedAsync.send(RaftClientRequest.staleReadRequestType(0), message, voter, client)
          .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .handle((reply, failure) -> failure == null ? answerIn(reply) : Optional.empty());
    };
  }

  private static Optional<StrongReply> answerIn(RaftClientReply reply) {
    if (!reply.isSuccess() || reply.getMessage() == null) {
      return Optional.empty();
    }
    return Optional.of(StrongReply.decode(reply.getMessage().getContent().asReadOnlyByteBuffer()));
  }

  /** The group's next voter after {@code follower} (the first when null) that is not this node. */
  private RaftPeerId followerAfter(Placement.Group group, RaftPeerId follower) {
    RaftMember next = group.voterAfter(follower == null ? null : follower.toString());
    if (next.id().equals(self)) {
      next = group.voterAfter(next.id());
    }
    return RaftPeerId.valueOf(next.id());
  }
}
