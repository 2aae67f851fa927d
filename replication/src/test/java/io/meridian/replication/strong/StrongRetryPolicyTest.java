package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.retry.ClientRetryEvent;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.apache.ratis.util.Timestamp;
import org.junit.jupiter.api.Test;

/** Which failed attempts of a strong write are retried, and which leave its outcome unknown. */
class StrongRetryPolicyTest {
  private static final long NONCE = 77;
  private static final RaftGroupId GROUP = RaftGroupId.valueOf(UUID.randomUUID());
  private static final String REQUEST = "client-1->s0@group-1, cid=5, seq=null, RW, put";

  private final StrongRetryPolicy policy =
      new StrongRetryPolicy(TimeDuration.valueOf(10, TimeUnit.MILLISECONDS));
  private final StrongRetryPolicy.Attempts attempts =
      policy.begin(NONCE, System.nanoTime() + TimeUnit.SECONDS.toNanos(30), false);

  @Test
  void aFullQueueOfPendingRequests_isRetried_andTheWriteStaysCertainlyNotApplied() {
    RetryPolicy.Action action =
        policy.handleAttemptFailure(
            failedWith(
                new ResourceUnavailableException(
                    "s0@group-1: " + StrongRetryPolicy.PENDING_QUEUE_FULL + " " + REQUEST)));

    assertThat(action.shouldRetry()).isTrue();
    assertThat(attempts.maybeApplied()).isFalse();
  }

  @Test
  void anEntryAppendedButNotTracked_isNotRetried_andLeavesTheOutcomeUnknown() {
    // Ratis failed the call in its retry cache after appending it: a retry would append it again.
    RetryPolicy.Action action =
        policy.handleAttemptFailure(
            failedWith(
                new ResourceUnavailableException(
                    "s0@group-1: " + StrongRetryPolicy.APPENDED_BUT_UNTRACKED + " " + REQUEST)));

    assertThat(action.shouldRetry()).isFalse();
    assertThat(attempts.maybeApplied()).isTrue();
  }

  @Test
  void anUnknownResourceShortage_leavesTheOutcomeUnknown() {
    policy.handleAttemptFailure(failedWith(new ResourceUnavailableException("something else")));

    assertThat(attempts.maybeApplied()).isTrue();
  }

  @Test
  void aRefusedConnection_isRetried_andAStepDownWhilePending_makesTheOutcomeUnknown() {
    assertThat(policy.handleAttemptFailure(failedWith(new ConnectException())).shouldRetry())
        .isTrue();
    assertThat(attempts.maybeApplied()).isFalse();

    RetryPolicy.Action action = policy.handleAttemptFailure(failedWith(notLeader()));

    assertThat(action.shouldRetry()).isTrue();
    assertThat(attempts.maybeApplied()).isTrue();
  }

  @Test
  void aCallPinnedToOneServer_endsAtNotLeader_soThatItCanGoToTheSuggestedLeader() {
    StrongRetryPolicy pinnedPolicy =
        new StrongRetryPolicy(TimeDuration.valueOf(10, TimeUnit.MILLISECONDS));
    pinnedPolicy.begin(NONCE, System.nanoTime() + TimeUnit.SECONDS.toNanos(30), true);

    RetryPolicy.Action action = pinnedPolicy.handleAttemptFailure(failedWith(notLeader()));

    assertThat(action.shouldRetry()).isFalse();
  }

  /** "Not leader" from s0, with no leader to suggest. */
  private static NotLeaderException notLeader() {
    return new NotLeaderException(
        RaftGroupMemberId.valueOf(RaftPeerId.valueOf("s0"), GROUP), null, List.of());
  }

  private static ClientRetryEvent failedWith(Throwable cause) {
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(ClientId.randomId())
            .setServerId(RaftPeerId.valueOf("s0"))
            .setGroupId(GROUP)
            .setCallId(5)
            .setMessage(
                Message.valueOf(
                    ByteString.copyFrom(
                        new StrongRequest(1, NONCE, new StrongCommand.Get(NONCE, "k")).encode())))
            .setType(RaftClientRequest.writeRequestType())
            .build();
    return new ClientRetryEvent(1, request, 1, cause, Timestamp.currentTime());
  }
}
