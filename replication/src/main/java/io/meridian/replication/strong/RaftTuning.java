package io.meridian.replication.strong;

import io.meridian.core.config.MeridianConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis settings of strong keys, derived from the node's configuration, and the {@link
 * RaftProperties} built from them.
 *
 * @param electionTimeout the minimum election timeout ({@code raft.electionTimeoutMs}); the maximum
 *     is twice it
 * @param requestDeadline how long a client request may retry before it answers 503/504
 * @param attemptTimeout how long one attempt waits for a server before the client tries again
 *     (possibly elsewhere); a SIGSTOPped leader costs this much per attempt
 * @param retryPause the pause between attempts
 * @param retryCacheExpiry how long a server remembers a request's reply; far longer than any
 *     request's retries last (deadline plus one attempt), so a retried write never applies twice.
 *     Not longer: the cache holds every call's reply until it expires, ten minutes of them filled a
 *     256 MiB heap under a steady load (the client sessions of {@link StrongStateMachine} keep a
 *     write from applying twice beyond it)
 * @param snapshotThreshold log entries after which a group takes a snapshot
 * @param snapshotLogBytes log bytes after which a group asks for a snapshot, or after as many as
 *     its last snapshot holds if that is more ({@link LogSizeSnapshots}); the log is cut back to
 *     each snapshot
 * @param snapshotsRetained snapshot files kept per group
 * @param maxEntryBytes the largest log entry (a value at the configured limit plus its key)
 * @param logCacheBytes how much of its log each group keeps in memory: Ratis' default of six
 *     segments up to 200 MB each group let eight groups of 1 MiB values outgrow a small heap; an
 *     eighth of the heap over all groups, and room for at least two of the largest entries
 * @param tripsInFlight trips through Raft this node's writes, and apart from them its linearizable
 *     reads, may have in flight at once over all groups ({@link TripGate}): one per core, and at
 *     least two, for a trip's cost is CPU
 * @param tripLease the longest a trip holds its place among them: a tenth of the election timeout,
 *     which is set for the network's round trips, so that a trip of a healthy group keeps it
 */
record RaftTuning(
    Duration electionTimeout,
    Duration requestDeadline,
    Duration attemptTimeout,
    Duration retryPause,
    Duration retryCacheExpiry,
    long snapshotThreshold,
    long snapshotLogBytes,
    int snapshotsRetained,
    int maxEntryBytes,
    long logCacheBytes,
    int tripsInFlight,
    Duration tripLease) {

  static final long SNAPSHOT_THRESHOLD = 20_000;
  static final long SNAPSHOT_LOG_BYTES = 64L << 20;
  static final int SNAPSHOTS_RETAINED = 2;
  static final Duration STATUS_QUESTION_TIMEOUT = Duration.ofMillis(500);

  RaftTuning {
    if (retryCacheExpiry.compareTo(requestDeadline.plus(attemptTimeout).multipliedBy(4)) < 0) {
      throw new IllegalArgumentException(
          "the retry cache must outlive a request's retries by far: " + retryCacheExpiry);
    }
  }

  static RaftTuning from(MeridianConfig config) {
    long election = config.raft().electionTimeoutMs();
    long httpBudget = config.http().requestTimeoutMs() - 1_000;
    long deadline = Math.max(1_000, Math.min(4 * election, httpBudget));
    long attempt = Math.max(500, Math.min(election, deadline / 2));
    int maxEntryBytes = config.limits().maxValueBytes() + config.limits().maxKeyBytes() + 4096;
    long heapShare = Runtime.getRuntime().maxMemory() / 8 / config.raft().groups();
    return new RaftTuning(
        Duration.ofMillis(election),
        Duration.ofMillis(deadline),
        Duration.ofMillis(attempt),
        Duration.ofMillis(50),
        Duration.ofMillis(Math.max(60_000, 4 * (deadline + attempt))),
        SNAPSHOT_THRESHOLD,
        SNAPSHOT_LOG_BYTES,
        SNAPSHOTS_RETAINED,
        maxEntryBytes,
        Math.max(heapShare, 2L * maxEntryBytes),
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        Duration.ofMillis(election / 10));
  }

  /** These settings with snapshots after {@code entries} log entries or {@code logBytes}. */
  RaftTuning withSnapshotTriggers(long entries, long logBytes) {
    return new RaftTuning(
        electionTimeout,
        requestDeadline,
        attemptTimeout,
        retryPause,
        retryCacheExpiry,
        entries,
        logBytes,
        snapshotsRetained,
        maxEntryBytes,
        logCacheBytes,
        tripsInFlight,
        tripLease);
  }

  RaftProperties serverProperties(Path storageDir, String host, int port) {
    RaftProperties properties = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(properties, List.of(storageDir.toFile()));
    RaftServerConfigKeys.setRemovedGroupsDir(
        properties, storageDir.resolve("removed-groups").toFile());
    GrpcConfigKeys.Server.setHost(properties, host);
    GrpcConfigKeys.Server.setPort(properties, port);

    RaftServerConfigKeys.Rpc.setTimeoutMin(properties, millis(electionTimeout));
    RaftServerConfigKeys.Rpc.setTimeoutMax(properties, millis(electionTimeout.multipliedBy(2)));

    // Our linearizable reads go through the log (RatisStrongKeys); a read-only request that
    // reaches Ratis all the same is never answered from a replica's local state. No leases (they
    // trust clocks).
    RaftServerConfigKeys.Read.setOption(properties, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(properties, false);
    RaftServerConfigKeys.Read.setTimeout(properties, millis(requestDeadline));

    RaftServerConfigKeys.RetryCache.setExpiryTime(properties, millis(retryCacheExpiry));

    // Ratis closes the whole server after a JVM pause (GC, SIGSTOP) over this threshold (60 s by
    // default) and never restarts it: the node would stay up without strong keys. Raft is safe
    // after any pause (a paused node's leaders step down after it), so only a restart of
    // the node should end it.
    RaftServerConfigKeys.setCloseThreshold(properties, TimeDuration.valueOf(1, TimeUnit.DAYS));

    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, snapshotThreshold);
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, snapshotsRetained);
    // The log is kept only up to the latest snapshot; a follower that is further behind gets the
    // snapshot installed instead. This bounds the log of a group with a long-dead voter.
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
    // Each snapshot cuts the log back (by default only once 1,024 entries have passed since the
    // last cut, a gigabyte of the largest values).
    RaftServerConfigKeys.Log.setPurgeGap(properties, 1);

    // Ratis appends (and replicates, and fsyncs) a metadata entry each time the commit index moves,
    // so that a restarted server can apply committed entries before it hears from a leader. It
    // doubles the log traffic of every write; without it a restarted server applies them once
    // the leader's next append tells it the commit index, which Raft needs anyway.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(properties, false);

    SizeInBytes entryLimit = SizeInBytes.valueOf(Math.max(1 << 20, maxEntryBytes + 1024));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(properties, entryLimit);
    RaftServerConfigKeys.Log.setWriteBufferSize(
        properties, SizeInBytes.valueOf(entryLimit.getSize() + 64 * 1024));
    RaftServerConfigKeys.Log.setSegmentSizeMax(
        properties, SizeInBytes.valueOf(Math.max(8L << 20, 4L * entryLimit.getSize())));
    // Small: every group preallocates this on disk, and eight groups should not take a small disk.
    RaftServerConfigKeys.Log.setPreallocatedSize(properties, SizeInBytes.valueOf(64 << 10));
    // Followers behind what is cached are sent entries read back from disk.
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(properties, 2);
    RaftServerConfigKeys.Log.setSegmentCacheSizeMax(properties, SizeInBytes.valueOf(logCacheBytes));
    GrpcConfigKeys.setMessageSizeMax(
        properties, SizeInBytes.valueOf(Math.max(64L << 20, 4L * entryLimit.getSize())));
    return properties;
  }

  RaftProperties clientProperties() {
    RaftProperties properties = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, millis(attemptTimeout));
    GrpcConfigKeys.setMessageSizeMax(
        properties, SizeInBytes.valueOf(Math.max(64L << 20, 4L * maxEntryBytes)));
    return properties;
  }

  /** For questions about a group's state ({@link VotersView}): one short attempt each. */
  RaftProperties statusClientProperties() {
    RaftProperties properties = clientProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, millis(STATUS_QUESTION_TIMEOUT));
    return properties;
  }

  private static TimeDuration millis(Duration duration) {
    return TimeDuration.valueOf(duration.toMillis(), TimeUnit.MILLISECONDS);
  }
}
