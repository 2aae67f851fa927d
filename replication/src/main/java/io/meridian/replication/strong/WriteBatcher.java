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
 * The writes this node sends to one Raft group: at most one request in flight, and the writes that
 * arrive meanwhile leave together, as one {@link StrongCommand.Batch}, when it returns.
 *
 * <p>Why: every trip through Raft costs the same whatever it carries — a client call to the leader,
 * a log append and its fsync on each voter, replication messages, an apply and its commit — and on
 * a small machine that cost is CPU (thread hand-offs and system calls), milliseconds per trip. A
 * lone write goes out at once, as before; under load, N concurrent writes share one trip. This is
 * the natural batching of group commit: no timer, no waiting when the group is idle.
 *
 * <p>Order: writes of one key leave in the order they arrived (a batch holds at most one write per
 * key; a later write of that key waits for the next one). Writes of different keys that are queued
 * together were concurrent, so any order among them is linearizable.
 *
 * <p>Deadlines: a batch must be done by the earliest deadline among its writes, so no write
 * outlives its own; a write whose deadline passes while it waits is failed as unavailable without
 * being sent (it was never applied).
 */
final class WriteBatcher {

  /** Sends a command to the group; the reply future fails as the request itself would. */
  @FunctionalInterface
  interface Sender {
    CompletableFuture<StrongReply> send(StrongCommand command, long deadlineNanos);
  }

  private record Pending(
      StrongCommand.Single write, long deadlineNanos, CompletableFuture<StrongReply> reply) {
    long bytes() {
      return write instanceof StrongCommand.Put put
          ? put.value().length + put.key().length() * 4L + 64
          : write.key().length() * 4L + 64;
    }
  }

  private final Sender sender;
  private final LongSupplier nonces;
  private final LongSupplier nanoTime;
  private final Executor completions;
  private final int maxWrites;
  private final long maxBytes;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>(); // guarded by this
  private boolean inFlight; // guarded by this

  /**
   * @param completions where the next batch is sent from once one returns (not the thread that
   *     completed it, which may be Ratis' own)
   * @param maxWrites most writes in one batch
   * @param maxBytes most payload bytes in one batch (a Raft log entry has a size limit); a single
   *     write is always sent, it was checked against the value limit before
   */
  WriteBatcher(
      Sender sender,
      LongSupplier nonces,
      LongSupplier nanoTime,
      Executor completions,
      int maxWrites,
      long maxBytes) {
    this.sender = sender;
    this.nonces = nonces;
    this.nanoTime = nanoTime;
    this.completions = completions;
    this.maxWrites = maxWrites;
    this.maxBytes = maxBytes;
  }

  /** Sends {@code write} now, or with the next batch if a request is in flight. */
  CompletableFuture<StrongReply> submit(StrongCommand.Single write, long deadlineNanos) {
    Pending pending = new Pending(write, deadlineNanos, new CompletableFuture<>());
    synchronized (this) {
      if (inFlight) {
        waiting.add(pending);
        return pending.reply();
      }
      inFlight = true;
    }
    dispatch(List.of(pending));
    return pending.reply();
  }

  private void dispatch(List<Pending> batch) {
    StrongCommand command =
        batch.size() == 1
            ? batch.get(0).write()
            : new StrongCommand.Batch(
                nonces.getAsLong(), batch.stream().map(Pending::write).toList());
    long deadline = batch.stream().mapToLong(Pending::deadlineNanos).min().orElseThrow();
    CompletableFuture<StrongReply> sent;
    try {
      sent = sender.send(command, deadline);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete(
        (reply, failure) -> {
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
            completions.execute(this::sendNext);
          } catch (RejectedExecutionException e) {
            sendNext(); // shutting down: the sends fail fast, and nothing may be left waiting
          }
        });
  }

  private void sendNext() {
    List<Pending> batch = new ArrayList<>();
    List<Pending> expired = new ArrayList<>();
    synchronized (this) {
      long now = nanoTime.getAsLong();
      Set<String> keys = new HashSet<>();
      long bytes = 0;
      Iterator<Pending> queued = waiting.iterator();
      while (queued.hasNext() && batch.size() < maxWrites) {
        Pending pending = queued.next();
        if (pending.deadlineNanos() - now <= 0) {
          queued.remove();
          expired.add(pending);
        } else if (keys.add(pending.write().key())) {
          if (!batch.isEmpty() && bytes + pending.bytes() > maxBytes) {
            break;
          }
          bytes += pending.bytes();
          queued.remove();
          batch.add(pending);
        }
      }
      if (batch.isEmpty()) {
        inFlight = false;
      }
    }
    expired.forEach(
        pending ->
            pending
                .reply()
                .completeExceptionally(
                    StrongKeyException.unavailable(
                        "the write waited for the key's Raft group past its deadline; it was"
                            + " not sent")));
    if (!batch.isEmpty()) {
      dispatch(batch);
    }
  }
}
