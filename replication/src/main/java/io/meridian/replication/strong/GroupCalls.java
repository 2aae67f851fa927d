package io.meridian.replication.strong;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.ratis.client.impl.RaftClientImpl;
import org.apache.ratis.client.impl.UnorderedAsync;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * One request's way to its Raft group, until it is answered or its deadline passes: linearizable
 * reads answered by the group's leader once a follower confirms it ({@link LeaderReads}: this
 * node's division, else the leader this node's client knows), else through the log like writes;
 * writes and those reads straight to this node's division when it leads the group ({@link
 * LocalLeader}), everything else, and whatever failed there, through the group's Raft client, and
 * again as a new call to the next voter when a call fails in time. The reply or the failure says
 * what a client may conclude: 503 when no attempt can have appended a write, 504 when one may have.
 */
final class GroupCalls {

  /** How a command travels. */
  enum Mode {
    WRITE,
    LINEARIZABLE_READ,
    STALE_READ
  }

  private final RaftMember self;
  private final long clientId;
  private final RequestNonces nonces;
  private final LocalLeader localLeader;
  private final LeaderReads leaderReads;
  private final StrongRetryPolicy retryPolicy;
  private final RaftTuning tuning;
  private final BooleanSupplier closed;

  /**
   * @param clientId this node's client in every request, with the writes it has finished ({@link
   *     ClientSession})
   * @param closed whether the node is closing (no call is sent again then)
   */
  GroupCalls(
      RaftMember self,
      long clientId,
      RequestNonces nonces,
      LocalLeader localLeader,
      LeaderReads leaderReads,
      StrongRetryPolicy retryPolicy,
      RaftTuning tuning,
      BooleanSupplier closed) {
    this.self = self;
    this.clientId = clientId;
    this.nonces = nonces;
    this.localLeader = localLeader;
    this.leaderReads = leaderReads;
    this.retryPolicy = retryPolicy;
    this.tuning = tuning;
    this.closed = closed;
  }

  /**
   * Sends {@code command} to the key's group: linearizable reads answered by the group's leader
   * once a follower confirms it ({@link LeaderReads}); writes and other linearizable reads straight
   * to this node's division when it leads the group ({@link LocalLeader}), everything else through
   * a Raft client.
   */
  CompletableFuture<StrongReply> send(
      Placement.Group group,
      RaftClientImpl client,
      StrongCommand command,
      Mode mode,
      long deadlineNanos) {
    if (mode != Mode.LINEARIZABLE_READ) {
      return submit(group, client, command, mode, deadlineNanos);
    }
    return leaderReads
        .read(group, client, command, deadlineNanos)
        .thenCompose(
            here ->
                here.isPresent()
                    ? CompletableFuture.completedFuture(here)
                    : leaderReads.forward(client, client.getLeaderId(), command))
        .thenCompose(
            answered ->
                answered.isPresent()
                    ? CompletableFuture.completedFuture(answered.get())
                    : submit(group, client, command, mode, deadlineNanos));
  }

  /** Sends {@code command} through the log (or, for a stale read, to a replica's state). */
  private CompletableFuture<StrongReply> submit(
      Placement.Group group,
      RaftClientImpl client,
      StrongCommand command,
      Mode mode,
      long deadlineNanos) {
    StrongRequest request = new StrongRequest(clientId, nonces.finishedBelow(), command);
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(request.encode()));
    if (mode == Mode.STALE_READ || !group.hasVoter(self.id())) {
      return viaClient(group, client, command, message, mode, deadlineNanos, Resend.NONE);
    }
    Optional<CompletableFuture<RaftClientReply>> local =
        localLeader.submit(RaftGroupId.valueOf(group.raftId()), message);
    if (local.isEmpty()) {
      return viaClient(group, client, command, message, mode, deadlineNanos, Resend.NONE);
    }
    long remainingNanos = Math.max(1, deadlineNanos - System.nanoTime());
    return local
        .get()
        .thenApply(GroupCalls::successful)
        .orTimeout(remainingNanos, TimeUnit.NANOSECONDS)
        .handle(
            (reply, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(decode(reply));
              }
              Throwable cause = Causes.unwrap(failure);
              // Anything may go again through a client: a copy of a write that the division did
              // append is applied at most once (ClientSession).
              StrongRetryPolicy.Attempts attempt = new StrongRetryPolicy.Attempts(deadlineNanos);
              attempt.failedWith(cause);
              if (deadlineNanos - System.nanoTime() > 0) {
                return viaClient(
                    group,
                    client,
                    command,
                    message,
                    mode,
                    deadlineNanos,
                    new Resend(null, attempt.maybeApplied()));
              }
              return CompletableFuture.<StrongReply>failedFuture(
                  failure(cause, attempt, mode == Mode.WRITE));
            })
        .thenCompose(reply -> reply);
  }

  /**
   * Where a request goes again after an earlier call for it failed, and whether any attempt so far
   * may have appended it (for a write). {@code target} null: where the mode sends it first.
   */
  private record Resend(RaftPeerId target, boolean maybeApplied) {
    static final Resend NONE = new Resend(null, false);
  }

  /**
   * Sends {@code message} through the group's Raft client, which retries it (same call id) until
   * the deadline. A call that still failed in time is sent again as a new call, to the next voter,
   * after a pause: the Raft client gives up on a peer that no longer hosts the group (one whose
   * division is being repaired) and on an entry its leader appended but failed to track, where a
   * write's outcome is unknown. Reads may go any number of times; a copy of a write that was
   * applied before is recognised by the state machine ({@link ClientSession}) and answered with
   * that copy's reply.
   */
  private CompletableFuture<StrongReply> viaClient(
      Placement.Group group,
      RaftClientImpl client,
      StrongCommand command,
      Message message,
      Mode mode,
      long deadlineNanos,
      Resend resend) {
    StrongRetryPolicy.Attempts attempts =
        retryPolicy.begin(
            command.nonce(), deadlineNanos, resend.target() != null || mode == Mode.STALE_READ);
    if (resend.maybeApplied()) {
      attempts.followsAnUnknownOutcome();
    }
    CompletableFuture<RaftClientReply> sent =
        switch (mode) {
          case WRITE ->
              UnorderedAsync.send(
                  RaftClientRequest.writeRequestType(), message, resend.target(), client);
          // Through the log, not by ReadIndex (see the class notes).
          case LINEARIZABLE_READ ->
              UnorderedAsync.send(
                  RaftClientRequest.writeRequestType(), message, resend.target(), client);
          case STALE_READ ->
              UnorderedAsync.send(
                  RaftClientRequest.staleReadRequestType(0),
                  message,
                  resend.target() != null
                      ? resend.target()
                      : RaftPeerId.valueOf(otherVoter(group).id()),
                  client);
        };
    long guardMillis = tuning.requestDeadline().plus(tuning.attemptTimeout()).toMillis() + 1_000;
    return sent.orTimeout(guardMillis, TimeUnit.MILLISECONDS)
        .handle(
            (reply, failure) -> {
              retryPolicy.finish(command.nonce());
              if (failure == null) {
                return CompletableFuture.completedFuture(decode(reply));
              }
              Throwable cause = Causes.unwrap(failure);
              long pauseNanos = tuning.retryPause().toNanos();
              if (!closed.getAsBoolean()
                  && !(cause instanceof StrongKeyException)
                  && deadlineNanos - System.nanoTime() > pauseNanos) {
                attempts.failedWith(cause);
                Resend again =
                    new Resend(nextTarget(group, client, resend, cause), attempts.maybeApplied());
                // Run on the JDK's delay thread itself: sending is asynchronous and brief, and a
                // bounded pool could refuse the task and leave the request unanswered.
                Executor later =
                    CompletableFuture.delayedExecutor(
                        pauseNanos, TimeUnit.NANOSECONDS, Runnable::run);
                return CompletableFuture.supplyAsync(
                        () ->
                            viaClient(group, client, command, message, mode, deadlineNanos, again),
                        later)
                    .thenCompose(resent -> resent);
              }
              return CompletableFuture.<StrongReply>failedFuture(
                  failure(cause, attempts, mode == Mode.WRITE));
            })
        .thenCompose(reply -> reply);
  }

  /**
   * Where a failed call goes next: the leader a "not leader" answer suggested, else the voter after
   * the one last tried (a Raft client sent to a peer that no longer hosts the group keeps that peer
   * as its leader).
   */
  private static RaftPeerId nextTarget(
      Placement.Group group, RaftClientImpl client, Resend last, Throwable cause) {
    if (cause instanceof NotLeaderException notLeader && notLeader.getSuggestedLeader() != null) {
      return notLeader.getSuggestedLeader().getId();
    }
    RaftPeerId after = last.target() != null ? last.target() : client.getLeaderId();
    return RaftPeerId.valueOf(group.voterAfter(after == null ? null : after.toString()).id());
  }

  /** The reply of a request submitted to a division, or its exception thrown. */
  private static RaftClientReply successful(RaftClientReply reply) {
    if (reply.getException() != null) {
      throw new CompletionException(reply.getException());
    }
    return reply;
  }

  private static StrongReply decode(RaftClientReply reply) {
    return StrongReply.decode(reply.getMessage().getContent().asReadOnlyByteBuffer());
  }

  private RaftMember otherVoter(Placement.Group group) {
    return group.voters().stream()
        .filter(v -> !v.id().equals(self.id()))
        .findFirst()
        .orElse(group.voters().get(0));
  }

  private StrongKeyException failure(
      Throwable failure, StrongRetryPolicy.Attempts attempts, boolean write) {
    Throwable cause = Causes.unwrap(failure);
    if (cause instanceof StrongKeyException strong) {
      return strong;
    }
    attempts.failedWith(cause);
    String within = " within " + tuning.requestDeadline().toMillis() + " ms";
    if (!write) {
      return StrongKeyException.unavailable(
          "no majority of the key's Raft group answered the read"
              + within
              + ": "
              + Causes.describe(cause));
    }
    if (attempts.maybeApplied() || cause instanceof TimeoutException) {
      return StrongKeyException.timeout(
          "no majority of the key's Raft group confirmed the write"
              + within
              + " ("
              + Causes.describe(cause)
              + "); it may or may not be applied");
    }
    return StrongKeyException.unavailable(
        "no leader of the key's Raft group took the write"
            + within
            + ": "
            + Causes.describe(cause));
  }
}
