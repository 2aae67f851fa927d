package io.meridian.replication.strong;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.raftlog.RaftLogBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings back this node's replica of a Raft group after its storage failed, typically on a full
 * disk, without taking down the node's other groups. Ratis leaves such a replica running but unable
 * to lead, follow or vote usefully until it is reopened:
 *
 * <ul>
 *   <li>its Raft log could not be written: Ratis' log worker closes the division, log included, or
 *       (seen on followers) keeps the log open with entries it never flushes, answering every
 *       append as inconsistent;
 *   <li>Ratis' applier thread failed (say, writing the configuration file) and applies nothing;
 *   <li>applying an entry to LMDB failed: the state machine stops writing ({@link
 *       StrongStateMachine}) and reports it.
 * </ul>
 *
 * A check every second finds the first two. The division is then removed from the Raft server,
 * keeping its directory, and added again from what is on disk (Ratis' {@code RECOVER}) with a new
 * state machine: what a restart of the node would do. While the disk is still full the new division
 * fails the same way; the attempts for one group back off from at once, then one second, up to half
 * a minute. Meanwhile the group's other voters go on without this one, as they would without a dead
 * node.
 *
 * <p>The division is added again only when the disk has {@link #MIN_USABLE_BYTES} free. A division
 * on a full disk is not just useless but a hazard: Ratis persists a new term or vote by writing a
 * temporary file and moving it over {@code raft-meta}, and it moves the file even when writing it
 * failed, so on a full disk the replica's term and vote are replaced by an empty file and it can
 * never be recovered (seen in the full-disk test when divisions were re-added, or kept, while the
 * disk was full). The failed division is removed at once for the same reason.
 */
final class DivisionRepair {
  private static final Logger log = LoggerFactory.getLogger(DivisionRepair.class);
  private static final Duration CHECK_EVERY = Duration.ofSeconds(1);
  private static final Duration FIRST_DELAY = Duration.ZERO;
  private static final Duration SECOND_DELAY = Duration.ofSeconds(1);
  private static final Duration MAX_DELAY = Duration.ofSeconds(30);
  private static final Duration CALM = Duration.ofMinutes(2);
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Free space below which a removed division is not added again: room for Ratis' metadata files, a
   * log segment's preallocation (64 KiB) and some entries.
   */
  static final long MIN_USABLE_BYTES = 8L << 20;

  /** A working log flushes within milliseconds. */
  private static final Duration FLUSH_STALL = Duration.ofSeconds(10);

  /** The storage writer waits out an overload for at most half a minute. */
  private static final Duration APPLY_STALL = Duration.ofSeconds(60);

  private final RaftServer server;
  private final ScheduledExecutorService scheduler;
  private final Function<RaftGroupId, Optional<RaftGroup>> groups;
  private final Consumer<RaftGroupId> retireStateMachine;
  private final LongSupplier nonces;
  private final LongSupplier nanoTime;
  private final LongSupplier usableBytes;
  private final Stall flushes = new Stall(FLUSH_STALL);
  private final Stall applies = new Stall(APPLY_STALL);

  /** Per group under repair, or repaired recently: the delay before its next attempt. */
  private final Map<RaftGroupId, Backoff> backoffs = new ConcurrentHashMap<>();

  private record Backoff(Duration delay, long lastAttemptNanos, boolean pending) {}

  /**
   * @param groups the Raft group (its voters) of a group id, when this node votes in it
   * @param retireStateMachine stops the state machine of the group's current division and drops it,
   *     so that the division added again gets a new one
   * @param usableBytes the free space on the Raft log's disk
   */
  DivisionRepair(
      RaftServer server,
      ScheduledExecutorService scheduler,
      Function<RaftGroupId, Optional<RaftGroup>> groups,
      Consumer<RaftGroupId> retireStateMachine,
      LongSupplier nonces,
      LongSupplier nanoTime,
      LongSupplier usableBytes) {
    this.server = server;
    this.scheduler = scheduler;
    this.groups = groups;
    this.retireStateMachine = retireStateMachine;
    this.nonces = nonces;
    this.nanoTime = nanoTime;
    this.usableBytes = usableBytes;
  }

  /** Starts checking this node's divisions every second. */
  void start() {
    scheduler.scheduleWithFixedDelay(
        this::check, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Repairs the group's division soon, unless a repair of it is already pending. */
  void request(RaftGroupId id, String reason) {
    long now = nanoTime.getAsLong();
    boolean[] scheduled = {false};
    Backoff next =
        backoffs.compute(
            id,
            (key, previous) -> {
              if (previous != null && previous.pending()) {
                return previous;
              }
              scheduled[0] = true;
              boolean recent =
                  previous != null && now - previous.lastAttemptNanos() < CALM.toNanos();
              return new Backoff(recent ? doubled(previous.delay()) : FIRST_DELAY, now, true);
            });
    if (scheduled[0]) {
      log.warn(
          "strong keys: this replica of {} stopped: {}; recovering it from disk in {} s",
          id,
          reason,
          next.delay().toSeconds());
      schedule(id, next.delay());
    }
  }

  /** Whether the group's division is stopped and waiting to be, or being, recovered. */
  boolean recovering(RaftGroupId id) {
    Backoff backoff = backoffs.get(id);
    return backoff != null && backoff.pending();
  }

  private void check() {
    long now = nanoTime.getAsLong();
    for (RaftGroupId id : server.getGroupIds()) {
      try {
        RaftServer.Division division = server.getDivision(id);
        RaftLog raftLog = division.getRaftLog();
        if (raftLog instanceof RaftLogBase base && !base.isOpened()) {
          request(id, "its Raft log was closed after a failed write");
        } else if (flushes.stuck(id, raftLog.getFlushIndex(), raftLog.getNextIndex() - 1, now)) {
          request(id, "its Raft log flushed nothing for " + FLUSH_STALL.toSeconds() + " s");
        } else if (applies.stuck(
            id, division.getInfo().getLastAppliedIndex(), raftLog.getLastCommittedIndex(), now)) {
          request(id, "it applied nothing for " + APPLY_STALL.toSeconds() + " s");
        }
      } catch (IOException | RuntimeException e) {
        // removed meanwhile, or the server is closing
      }
    }
  }

  private void schedule(RaftGroupId id, Duration delay) {
    try {
      scheduler.schedule(() -> repair(id), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the node is closing
    }
  }

  private void repair(RaftGroupId id) {
    Optional<RaftGroup> group = groups.apply(id);
    if (group.isEmpty()) {
      backoffs.remove(id);
      return;
    }
    try {
      await(
          server.groupManagementAsync(
              GroupManagementRequest.newRemove(
                  ClientId.randomId(), server.getId(), nonces.getAsLong(), id, false, false)),
          true);
      // Once the old division is closed: what it applied until then is a prefix of its log, and
      // anything of it still queued in the storage writer is refused from here on.
      retireStateMachine.accept(id);
      long usable = usableBytes.getAsLong();
      if (usable < MIN_USABLE_BYTES) {
        retryLater(id, "only " + usable + " bytes free on its disk");
        return;
      }
      await(
          server.groupManagementAsync(
              GroupManagementRequest.newAdd(
                  ClientId.randomId(), server.getId(), nonces.getAsLong(), group.get(), false)),
          false);
      backoffs.computeIfPresent(
          id, (key, b) -> new Backoff(b.delay(), nanoTime.getAsLong(), false));
      log.info("strong keys: this replica of {} was recovered from disk", id);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      retryLater(id, Causes.describe(e));
    }
  }

  private void retryLater(RaftGroupId id, String why) {
    Backoff next =
        backoffs.compute(
            id,
            (key, b) ->
                new Backoff(
                    b == null ? FIRST_DELAY : doubled(b.delay()), nanoTime.getAsLong(), true));
    log.warn(
        "strong keys: recovering {} failed ({}); trying again in {} s",
        id,
        why,
        next.delay().toSeconds());
    schedule(id, next.delay());
  }

  /** Waits for a group-management call; removing a group that is already gone is fine. */
  private static void await(CompletableFuture<?> call, boolean removal)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      call.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(removal && e.getCause() instanceof GroupMismatchException)) {
        throw e;
      }
    }
  }

  private static Duration doubled(Duration delay) {
    Duration twice = delay.isZero() ? SECOND_DELAY : delay.multipliedBy(2);
    return twice.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : twice;
  }
}
