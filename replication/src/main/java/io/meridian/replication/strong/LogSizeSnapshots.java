package io.meridian.replication.strong;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Asks for a snapshot of one group once its log since the last snapshot holds more bytes than the
 * larger of a floor and that snapshot's size. Ratis takes snapshots, and cuts the log back to them,
 * only every so many entries, which with values near the size limit lets a group's log grow to
 * gigabytes first. Tied to the last snapshot's size, so a group holding much data is not written
 * out in full for each few megabytes of log: the log stays within about the size of the data, or
 * the floor.
 *
 * <p>{@link #applied} and {@link #snapshotTaken} run on one thread at a time: the group's Ratis
 * updater thread, which applies the log and takes snapshots, or the thread that installs one while
 * the updater is paused. The request asked for completes on any thread.
 */
final class LogSizeSnapshots {
  private final long floorBytes;
  private final Supplier<CompletableFuture<?>> askForSnapshot;
  private final AtomicBoolean asking = new AtomicBoolean();
  private volatile long sinceSnapshotBytes;
  private volatile long lastSnapshotBytes;

  /**
   * @param floorBytes log bytes below which no snapshot is asked for
   * @param askForSnapshot asks the group's replica for a snapshot; completes once it was taken or
   *     refused
   */
  LogSizeSnapshots(long floorBytes, Supplier<CompletableFuture<?>> askForSnapshot) {
    if (floorBytes < 1) {
      throw new IllegalArgumentException("floorBytes must be positive: " + floorBytes);
    }
    this.floorBytes = floorBytes;
    this.askForSnapshot = askForSnapshot;
  }

  /** A log entry of {@code bytes} was applied; asks for a snapshot if the log has grown enough. */
  void applied(long bytes) {
    sinceSnapshotBytes += bytes;
    if (sinceSnapshotBytes >= Math.max(floorBytes, lastSnapshotBytes)
        && asking.compareAndSet(false, true)) {
      askForSnapshot.get().whenComplete((reply, failure) -> asking.set(false));
    }
  }

  /** A snapshot of {@code bytes} was taken (or found at start-up): the log is counted anew. */
  void snapshotTaken(long bytes) {
    sinceSnapshotBytes = 0;
    lastSnapshotBytes = bytes;
  }
}
