package io.meridian.replication.strong;

import java.net.ConnectException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.client.retry.ClientRetryEvent;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

/**
 * How a Raft client retries one strong-key request: with a short pause, until the request's own
 * deadline, always with the same call id (so a server's retry cache answers a retry of a request it
 * already applied instead of applying it twice).
 *
 * <p>It also keeps, per request, whether any failed attempt might have been appended to a leader's
 * log. Only attempts that provably were not (the connection was refused, the server was not ready,
 * the leader was not ready or was stepping down, its queue of pending requests was full) keep a
 * failed write certain to have done nothing — 503; anything else (a timeout, a reset connection, a
 * leader that lost its leadership while the entry was pending, which Ratis also reports as "not
 * leader") makes the outcome unknown — 504.
 *
 * <p>One failure ends the retries at once: a leader that appended the entry and then could not
 * track it (it was stepping down in between; Ratis 3.2 {@code RaftServerImpl.appendTransaction},
 * "Failed to add a pending write request") marks the call failed in its retry cache, and a retry
 * with the same call id would then be appended a second time.
 */
final class StrongRetryPolicy implements RetryPolicy {
  /**
   * Ratis' words for its two {@link ResourceUnavailableException}s of a write, which it tells apart
   * only by message: the leader's queue of pending requests was full, before anything was appended;
   * or the entry was appended but could not be added to that queue.
   */
  static final String PENDING_QUEUE_FULL = "Failed to acquire a pending write request";

  static final String APPENDED_BUT_UNTRACKED = "Failed to add a pending write request";

  private final TimeDuration pause;
  private final Map<Long, Attempts> requests = new ConcurrentHashMap<>();

  StrongRetryPolicy(TimeDuration pause) {
    this.pause = pause;
  }

  /** A request's retry budget and what its attempts have shown so far. */
  static final class Attempts {
    private final long deadlineNanos;
    private volatile boolean maybeApplied;
    private volatile Throwable lastFailure;

    private final boolean pinned;

    Attempts(long deadlineNanos) {
      this(deadlineNanos, false);
    }

    private Attempts(long deadlineNanos, boolean pinned) {
      this.deadlineNanos = deadlineNanos;
      this.pinned = pinned;
    }

    boolean maybeApplied() {
      return maybeApplied;
    }

    Throwable lastFailure() {
      return lastFailure;
    }

    /** Counts an earlier call for the same request, whose outcome is unknown. */
    void followsAnUnknownOutcome() {
      maybeApplied = true;
    }

    /** Counts a failure seen outside the retry policy (the request's own deadline, say). */
    void failedWith(Throwable failure) {
      lastFailure = failure;
      if (!certainlyNotAppended(failure)) {
        maybeApplied = true;
      }
    }
  }

  /**
   * Starts tracking the request with {@code nonce}; call {@link #finish} when it completes. A call
   * sent to one chosen server is {@code pinned}: Ratis' client retries it at that server only, so a
   * "not leader" answer ends it, and the caller sends it again to the leader the answer suggests. A
   * pinned stale read ends at its first failure, for the caller to ask the next voter: any voter
   * can answer it, and the one asked may be down for good.
   */
  Attempts begin(long nonce, long deadlineNanos, boolean pinned) {
    Attempts attempts = new Attempts(deadlineNanos, pinned);
    requests.put(nonce, attempts);
    return attempts;
  }

  void finish(long nonce) {
    requests.remove(nonce);
  }

  @Override
  public Action handleAttemptFailure(Event event) {
    if (!(event instanceof ClientRetryEvent clientEvent)) {
      return NO_RETRY_ACTION;
    }
    Attempts attempts = attemptsOf(clientEvent);
    if (attempts == null) {
      return NO_RETRY_ACTION;
    }
    if (event.getCause() != null) {
      attempts.failedWith(event.getCause());
      if (appendedButUntracked(event.getCause())
          || (attempts.pinned
              && (event.getCause() instanceof NotLeaderException
                  || clientEvent.getRequest().is(RaftClientRequestProto.TypeCase.STALEREAD)))) {
        return NO_RETRY_ACTION;
      }
    }
    if (System.nanoTime() - attempts.deadlineNanos >= 0) {
      return NO_RETRY_ACTION;
    }
    return () -> pause;
  }

  private Attempts attemptsOf(ClientRetryEvent event) {
    var message = event.getRequest().getMessage();
    if (message == null || message.getContent().size() < StrongRequest.MIN_BYTES) {
      return null;
    }
    return requests.get(StrongRequest.nonceOf(message.getContent().asReadOnlyByteBuffer()));
  }

  /** Whether a failed attempt shows that the request was not appended to any log. */
  static boolean certainlyNotAppended(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof ServerNotReadyException
          || t instanceof LeaderNotReadyException
          || t instanceof LeaderSteppingDownException
          || (t instanceof ResourceUnavailableException
              && String.valueOf(t.getMessage()).contains(PENDING_QUEUE_FULL))
          || t instanceof GroupMismatchException
          || String.valueOf(t.getMessage()).contains("Connection refused")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * Whether a failed attempt shows a leader that appended the request and then failed it in its
   * retry cache, so that a retry with the same call id would append it again.
   */
  static boolean appendedButUntracked(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ResourceUnavailableException
          && String.valueOf(t.getMessage()).contains(APPENDED_BUT_UNTRACKED)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "StrongRetryPolicy(pause " + pause + ")";
  }
}
