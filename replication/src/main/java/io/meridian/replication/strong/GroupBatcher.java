package io.meridian.replication.strong;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * The requests of one kind (writes, or linearizable reads) this node sends to one Raft group: at
 * most one in flight, and those that arrive meanwhile leave together, as one {@link
 * StrongCommand.Batch}, when it returns.
 *
 * <p>Why: every trip through Raft costs the same whatever it carries — a client call to the leader,
 * then for a write a log append and its fsync on each voter, replication messages, an apply and its
 * commit, for a read a leader's confirmation — and on a small machine that cost is CPU (thread
 * hand-offs and system calls), milliseconds per trip. A lone request goes out at once, as before;
 * under load, N concurrent requests share one trip. This is the natural batching of group commit:
 * no timer, no waiting when the group is idle. The groups' batchers of one kind also share a {@link
 * TripGate}: while the node has its fill of trips in flight, a group's next trip waits its turn and
 * carries all that gathered for the group meanwhile.
 *
 * <p>Order: with {@code onePerKey} (writes), commands on one key leave in the order they arrived (a
 * batch holds at most one per key; a later one waits for the next batch). Commands queued together
 * were concurrent, so any order among them is linearizable.
 *
 * <p>Deadlines: a batch must be done by the earliest deadline among its commands, so none outlives
 * its own; a command whose deadline passes while it waits is failed as unavailable without being
 * sent (a write that waited so is certainly not applied).
 */
final class GroupBatcher {

  /** Sends a command to the group; the reply future fails as the request itself would. */
  @FunctionalInterface
  interface Sender {
    CompletableFuture<StrongReply> send(StrongCommand command, long deadlineNanos);
  }

  private record Pending(
      StrongCommand.Single command, long deadlineNanos, CompletableFuture<StrongReply> reply) {
    long bytes() {
      return command instanceof StrongCommand.Put put
          ? put.value().length + put.key().length() * 4L + 64
          : command.key().length() * 4L + 64;
    }
  }

  private final Sender sender;
  private final LongSupplier nonces;
  private final LongSupplier nanoTime;
  private final Executor completions;
  private final TripGate trips;
  private final TripTally tally;
  private final boolean onePerKey;
  private final int maxCommands;
  private final long maxBytes;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>(); // guarded by this
  private boolean busy; // guarded by this: a trip in flight, or waiting for a place among trips

  /**
   * @param completions where the next batch is sent from once one returns (not the thread that
   *     completed it, which may be Ratis' own)
   * @param trips the places among this node's trips in flight, which the groups share
   * @param tally counts the trips sent and the commands they carry
   * @param onePerKey at most one command per key in a batch (writes)
   * @param maxCommands most commands in one batch
   * @param maxBytes most payload bytes in one batch (a Raft log entry has a size limit); a single
   *     command is always sent, it was checked against the value limit before
   */
  GroupBatcher(
      Sender sender,
      LongSupplier nonces,
      LongSupplier nanoTime,
      Executor completions,
      TripGate trips,
      TripTally tally,
      boolean onePerKey,
      int maxCommands,
      long maxBytes) {
    this.sender = sender;
    this.nonces = nonces;
    this.nanoTime = nanoTime;
    this.completions = completions;
    this.trips = trips;
    this.tally = tally;
    this.onePerKey = onePerKey;
    this.maxCommands = maxCommands;
    this.maxBytes = maxBytes;
  }

  /**
   * Sends {@code command} now, or with the next batch if a request is in flight or the node's trips
   * are all taken.
   */
  CompletableFuture<StrongReply> submit(StrongCommand.Single command, long deadlineNanos) {
    Pending pending = new Pending(command, deadlineNanos, new CompletableFuture<>());
    synchronized (this) {
      waiting.add(pending);
      if (busy) {
        return pending.reply();
      }
      busy = true;
    }
    takeTrip();
    return pending.reply();
  }

  private void takeTrip() {
    TripGate.Slot slot = trips.enter(this::tripLater);
    if (slot != null) {
      sendNext(slot);
    }
  }

  private void tripLater(TripGate.Slot slot) {
    try {
      completions.execute(() -> sendNext(slot));
    } catch (RejectedExecutionException e) {
      sendNext(slot); // shutting down: the sends fail fast, and nothing may be left waiting
    }
  }

  private void dispatch(List<Pending> batch, TripGate.Slot slot) {
    StrongCommand command =
        batch.size() == 1
            ? batch.get(0).command()
            : new StrongCommand.Batch(
                nonces.getAsLong(), batch.stream().map(Pending::command).toList());
    long deadline = batch.stream().mapToLong(Pending::deadlineNanos).min().orElseThrow();
    tally.sent(batch.size());
    CompletableFuture<StrongReply> sent;
    try {
      sent = sender.send(command, deadline);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete(
        (reply, failure) -> {
          slot.release();
          if (failure != null) {
            batch.forEach(pending -> pending.reply().completeExceptionally(failure));
          } else if (reply instanceof StrongReply.Batch replies) {
            for (int i = 0; i < batch.size(); i++) {
              batch.get(i).reply().complete(replies.replies().get(i));
            }
          } else {
            batch.get(0).reply().complete(reply);
          }
          try {
            completions.execute(this::afterTrip);
          } catch (RejectedExecutionException e) {
            afterTrip(); // shutting down: the sends fail fast, and nothing may be left waiting
          }
        });
  }

  private void afterTrip() {
    synchronized (this) {
      if (waiting.isEmpty()) {
        busy = false;
        return;
      }
    }
    takeTrip();
  }

  private void sendNext(TripGate.Slot slot) {
    List<Pending> batch = new ArrayList<>();
    List<Pending> expired = new ArrayList<>();
    synchronized (this) {
      long now = nanoTime.getAsLong();
      Set<String> keys = new HashSet<>();
      long bytes = 0;
      Iterator<Pending> queued = waiting.iterator();
      while (queued.hasNext() && batch.size() < maxCommands) {
        Pending pending = queued.next();
        if (pending.deadlineNanos() - now <= 0) {
          queued.remove();
          expired.add(pending);
        } else if (!onePerKey || keys.add(pending.command().key())) {
          if (!batch.isEmpty() && bytes + pending.bytes() > maxBytes) {
            break;
          }
          bytes += pending.bytes();
          queued.remove();
          batch.add(pending);
        }
      }
      if (batch.isEmpty()) {
        busy = false;
      }
    }
    expired.forEach(
        pending ->
            pending
                .reply()
                .completeExceptionally(
                    StrongKeyException.unavailable(
                        "the request waited for the key's Raft group past its deadline; it was"
                            + " not sent")));
    if (batch.isEmpty()) {
      slot.release();
    } else {
      dispatch(batch, slot);
    }
  }
}
