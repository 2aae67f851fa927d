package io.meridian.replication.strong;

import io.meridian.core.Store;
import io.meridian.core.StoreException;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Raft group's state machine: strong keys → (revision, bytes) in the node's LMDB {@code strong}
 * table, written through the node's {@link Store} (group commit).
 *
 * <p>Implementation notes.
 *
 * <ul>
 *   <li><b>Revisions</b> are this group's own counter, advanced by one for every applied write or
 *       delete; never Ratis log indices (those are not dense). Every replica applies the same log
 *       in the same order from the same snapshot, so every replica hands out the same revisions.
 *       The counter is read and advanced only by the group's Ratis updater thread, which applies
 *       the log one entry at a time in order, so the counter follows the log.
 *   <li><b>Idempotent re-application.</b> Ratis re-applies the log from the latest snapshot after a
 *       restart, while LMDB already holds effects up to some later entry. Each key's entry records
 *       the log index that last changed it, and a delete leaves a tombstone, so an entry whose key
 *       was changed at or after its own index is skipped (it only lifts the counter to that key's
 *       revision). The group's meta (counter, applied index) is queued right after each key update;
 *       if a crash loses it, the skipped entries restore the counter.
 *   <li><b>Each write at most once.</b> Retries can put several copies of one write in the log; the
 *       first applied decides it and the others get its reply ({@link ClientSession}). The client's
 *       session is stored after the entry's keys, and a key's revision lifts the counter whenever a
 *       write meets it, so a re-applied copy also restores the counter.
 *   <li><b>Decided on the updater thread; replies do not wait for storage.</b> The updater thread
 *       decides each command against the key's latest applied entry (kept in {@link #uncommitted}
 *       until its commit, else read from LMDB on that thread), answers it, and queues what it
 *       writes to the storage writer; no hand-off to another thread stands between Ratis' commit
 *       and its reply. The storage commit (the writer's next checkpoint, {@code
 *       LmdbStore.CHECKPOINT_INTERVAL}, shared by every apply until then) follows. The strong table
 *       is not {@linkplain Table#syncedOnCommit() synced on commit}: a machine crash may undo its
 *       last commit, which recovery handles like a commit that never happened. That is safe because
 *       the Raft log already holds the entry on a majority and Ratis re-applies the log from the
 *       latest snapshot after a restart, and a snapshot is taken only after everything applied
 *       before it is committed ({@link #committed}). Reads, too, look in {@link #uncommitted}
 *       first.
 *   <li><b>Reads see what is applied.</b> A read at a leader is answered once the applied index
 *       passes its read index ({@link #readAfter}); an entry's effect is in {@link #uncommitted}
 *       before its index counts as applied.
 *   <li><b>A storage failure is fatal</b> for this replica of the group: Ratis has counted the
 *       entry applied, so continuing would let this replica diverge. The instance writes nothing
 *       more (LMDB keeps a prefix of the log), answers what it applies from then on as unknown, and
 *       reports it; the division is then recovered from LMDB and the log ({@link DivisionRepair}),
 *       as a restart would. Replies it gave before the failure stand: they were decided from the
 *       committed log, and recovery decides those entries the same way again.
 * </ul>
 */
final class StrongStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(StrongStateMachine.class);
  private static final long OVERLOAD_RETRY_MILLIS = 30_000;

  private final UUID group;
  private final Store store;
  private final Runnable onFatal;
  private final Runnable onNewLeader;
  private final Function<StrongCommand, CompletableFuture<Optional<StrongReply>>> asLeader;
  private final LogSizeSnapshots logSize;
  private final byte[] metaKey;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final AtomicBoolean failed = new AtomicBoolean();

  /** Set once one of this instance's storage updates failed, or it was retired: see submit. */
  private volatile boolean stopped;

  /**
   * The latest snapshot, null while there is none. Cached here because {@link
   * SimpleStateMachineStorage} lists its directory on every call until a first snapshot exists, and
   * Ratis asks on every round of every log appender: a few system calls per replicated write.
   */
  private volatile SingleFileSnapshotInfo latestSnapshot;

  /**
   * The last revision handed out. Set on the Ratis thread while nothing is being applied
   * (initialize, reinitialize), then read and advanced only by the group's Ratis updater thread as
   * it applies the log.
   */
  private volatile long revision;

  /** Completes when everything queued so far is committed; the Ratis updater thread replaces it. */
  private volatile CompletableFuture<Void> committed = CompletableFuture.completedFuture(null);

  /**
   * What the group remembers of each client ({@link ClientSession}). Replaced on the Ratis thread
   * while nothing is being applied (initialize, reinitialize), then used only by the group's Ratis
   * updater thread as it applies the log.
   */
  private volatile Map<Long, ClientSession> sessions = new HashMap<>();

  /** Each key's latest applied entry while its storage commit is pending. */
  private final ConcurrentHashMap<String, StrongRecord.Entry> uncommitted =
      new ConcurrentHashMap<>();

  /** Reads waiting for the applied index to reach theirs, by that index ({@link #readAfter}). */
  private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> awaitingApply =
      new ConcurrentSkipListMap<>();

  /**
   * @param onFatal called once if a storage failure leaves this replica unable to go on (not when
   *     the storage was closed: the node is stopping)
   * @param onNewLeader called each time this replica learns of a new leader of the group
   * @param asLeader answers reads sent to this replica as the group's leader ({@link
   *     StrongCommand.LeaderRead}), empty if it cannot
   * @param logSize told of each entry applied and each snapshot, asks for snapshots by log size
   */
  StrongStateMachine(
      UUID group,
      Store store,
      Runnable onFatal,
      Runnable onNewLeader,
      Function<StrongCommand, CompletableFuture<Optional<StrongReply>>> asLeader,
      LogSizeSnapshots logSize) {
    this.group = group;
    this.store = store;
    this.onFatal = onFatal;
    this.onNewLeader = onNewLeader;
    this.asLeader = asLeader;
    this.logSize = logSize;
    this.metaKey = StrongRecord.metaKey(group);
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    getLifeCycle()
        .startAndTransition(
            () -> {
              super.initialize(server, groupId, raftStorage);
              storage.init(raftStorage);
              setLatestSnapshot(storage.getLatestSnapshot());
              recover();
            });
  }

  @Override
  public void pause() {
    if (getLifeCycle().getCurrentState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Called by Ratis after a snapshot from the leader was installed into the storage directory. */
  @Override
  public void reinitialize() throws IOException {
    getLifeCycle().transition(LifeCycle.State.STARTING);
    setLatestSnapshot(storage.loadLatestSnapshot());
    recover();
    getLifeCycle().transition(LifeCycle.State.RUNNING);
  }

  /** Caches {@code snapshot} (null: none) and counts the log by size from it. */
  private void setLatestSnapshot(SingleFileSnapshotInfo snapshot) {
    latestSnapshot = snapshot;
    logSize.snapshotTaken(snapshot == null ? 0 : snapshot.getFile().getPath().toFile().length());
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return latestSnapshot;
  }

  /**
   * Brings LMDB up to the latest snapshot if it is behind it (a fresh store, an installed snapshot,
   * an interrupted load) and restores the counter and the applied index.
   */
  private void recover() throws IOException {
    StrongRecord.Meta meta = readMeta();
    SingleFileSnapshotInfo snapshot = latestSnapshot;
    if (snapshot != null && meta.appliedIndex() < snapshot.getIndex()) {
      log.info("group {}: loading snapshot {} into storage", group, snapshot.getTermIndex());
      meta = StrongSnapshot.load(snapshot.getFile().getPath(), group, store);
    }
    revision = meta.revision();
    sessions = readSessions();
    uncommitted.clear();
    committed = CompletableFuture.completedFuture(null);
    if (snapshot != null) {
      setLastAppliedTermIndex(snapshot.getTermIndex());
      releaseAppliedThrough(lastAppliedIndex());
    }
  }

  private Map<Long, ClientSession> readSessions() throws IOException {
    Map<Long, ClientSession> stored = new HashMap<>();
    for (Store.Entry record :
        StoreFutures.scan(
            store, Table.STRONG, StrongRecord.sessionsFrom(group), StrongRecord.recordsTo(group))) {
      if (record.corrupt()) {
        throw new IOException("a client session of group " + group + " failed its checksum");
      }
      stored.put(StrongRecord.clientOf(record.key()), ClientSession.decode(record.value()));
    }
    return stored;
  }

  private StrongRecord.Meta readMeta() {
    return StoreFutures.join(store.get(Table.STRONG, metaKey))
        .map(StrongRecord::decodeMeta)
        .orElse(StrongRecord.Meta.EMPTY);
  }

  /**
   * Decides the entry's commands here, on the group's Ratis updater thread, which applies the log
   * one entry at a time in order, and queues what they write to the storage writer; the reply does
   * not wait for the writer (see the class notes).
   */
  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    TermIndex at = TermIndex.valueOf(entry);
    StrongRequest request =
        StrongRequest.decode(entry.getStateMachineLogEntry().getLogData().toByteArray());
    StrongCommand command = request.command();
    List<CompletableFuture<Void>> stored = new ArrayList<>();
    StrongReply reply =
        command instanceof StrongCommand.Batch batch
            ? new StrongReply.Batch(
                batch.commands().stream()
                    .map(single -> apply(single, at.getIndex(), request, stored))
                    .toList())
            : apply((StrongCommand.Single) command, at.getIndex(), request, stored);
    // The client's session goes after the keys it speaks of: storage never holds a session newer
    // than the writes it remembers (see ClientSession). Both are encoded here, on the thread that
    // changes them.
    if (writes(command)) {
      byte[] session = sessionOf(request).encode();
      stored.add(
          submit(
              StrongRecord.sessionKey(group, request.client()),
              current -> StoreUpdate.Outcome.write(session, null)));
    }
    byte[] meta = StrongRecord.encode(new StrongRecord.Meta(revision, at.getTerm(), at.getIndex()));
    stored.add(submit(metaKey, current -> StoreUpdate.Outcome.write(meta, null)));
    stored.add(committed);
    CompletableFuture<Void> commit =
        CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new));
    committed = commit;
    commit.exceptionally(this::fatal);
    updateLastAppliedTermIndex(at);
    logSize.applied(entry.getSerializedSize());
    return CompletableFuture.completedFuture(toMessage(reply));
  }

  /**
   * Decides {@code command} against the key's applied state and queues what it writes (its commit
   * joins {@code stored}). A write that its client's session has already decided (a copy of it was
   * applied before) changes nothing and gets the same answer. Never throws: a replica that cannot
   * read its storage, or whose storage failed (it stops, see the class notes), answers {@link
   * StrongReply.Superseded} (result unknown) instead, as Ratis' applier would retry a failed apply
   * forever.
   */
  private StrongReply apply(
      StrongCommand.Single command,
      long index,
      StrongRequest request,
      List<CompletableFuture<Void>> stored) {
    if (stopped) {
      return new StrongReply.Superseded();
    }
    Optional<StrongRecord.Entry> existing;
    try {
      existing = applied(command.key());
    } catch (RuntimeException e) {
      stopped = true;
      fatal(e);
      return new StrongReply.Superseded();
    }
    if (command instanceof StrongCommand.Get) {
      // A read through the log: answered from the state at its place in the order.
      return found(existing);
    }
    // Re-applied after a restart, the key may hold a revision the durable counter lacks.
    existing.ifPresent(e -> revision = Math.max(revision, e.revision()));
    ClientSession session = sessionOf(request);
    Optional<StrongReply> decided = session.decided(command.nonce());
    if (decided.isPresent()) {
      return decided.get();
    }
    Change change = change(command, existing, index);
    session.applied(command.nonce(), change.reply());
    StrongRecord.Entry written = change.written();
    if (written != null) {
      uncommitted.put(written.key(), written);
      byte[] encoded = StrongRecord.encode(written);
      CompletableFuture<Void> commit =
          submit(
              StrongRecord.entryKey(group, command.key()),
              current -> StoreUpdate.Outcome.write(encoded, null));
      commit.thenRun(() -> uncommitted.remove(written.key(), written));
      stored.add(commit);
    }
    return change.reply();
  }

  /**
   * The key's latest applied entry: the uncommitted one, if any, or the stored one, read on this
   * thread (the updater's; {@link #read} is the same lookup for threads that must not wait).
   */
  private Optional<StrongRecord.Entry> applied(String key) {
    StrongRecord.Entry pending = uncommitted.get(key);
    if (pending != null) {
      return Optional.of(pending);
    }
    return StrongRecord.decodeEntry(
        store.getNow(Table.STRONG, StrongRecord.entryKey(group, key)), key);
  }

  /** The reply to a batch of reads: every read's reply, in order, once all are there. */
  private static CompletableFuture<StrongReply> batchReply(
      List<CompletableFuture<StrongReply>> replies) {
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> new StrongReply.Batch(replies.stream().map(CompletableFuture::join).toList()));
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
    if (newLeader != null) {
      onNewLeader.run();
    }
  }

  /**
   * Log entries that are not ours (configuration, leader no-ops) still advance the index in order.
   */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    updateLastAppliedTermIndex(term, index);
  }

  /** What a write does: its reply and the entry it writes, if any. */
  private record Change(StrongReply reply, StrongRecord.Entry written) {}

  /** Decides a write against the key's current entry; writer thread only (advances the counter). */
  private Change change(
      StrongCommand.Single command, Optional<StrongRecord.Entry> existing, long index) {
    if (existing.isPresent() && existing.get().modifiedAt() >= index) {
      // Re-applied after a restart: this entry's effect, or a later one, is already durable.
      return new Change(
          existing.get().modifiedAt() == index
              ? new StrongReply.Written(existing.get().revision())
              : new StrongReply.Superseded(),
          null);
    }
    long currentRevision = existing.map(StrongRecord.Entry::currentRevision).orElse(0L);
    if (command instanceof StrongCommand.Put put) {
      if (!put.precondition().holds(currentRevision)) {
        return new Change(new StrongReply.PreconditionFailed(currentRevision), null);
      }
      long next = ++revision;
      return new Change(
          new StrongReply.Written(next),
          StrongRecord.Entry.value(put.key(), next, index, put.contentType(), put.value()));
    }
    StrongCommand.Delete delete = (StrongCommand.Delete) command;
    if (currentRevision == 0 && delete.precondition().holds(0)) {
      return new Change(new StrongReply.NotFound(), null);
    }
    if (!delete.precondition().holds(currentRevision)) {
      return new Change(new StrongReply.PreconditionFailed(currentRevision), null);
    }
    long next = ++revision;
    return new Change(
        new StrongReply.Written(next), StrongRecord.Entry.tombstone(delete.key(), next, index));
  }

  /** The session of the request's client, told what the request says it has finished. */
  private ClientSession sessionOf(StrongRequest request) {
    ClientSession session =
        sessions.computeIfAbsent(request.client(), client -> new ClientSession());
    session.finishedBelow(request.finishedBelow());
    return session;
  }

  private static boolean writes(StrongCommand command) {
    return command instanceof StrongCommand.Batch batch
        ? !batch.reads()
        : !(command instanceof StrongCommand.Get);
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    StrongCommand command = StrongRequest.decode(request.getContent().toByteArray()).command();
    if (command instanceof StrongCommand.Term) {
      return currentTerm().thenApply(StrongStateMachine::toMessage);
    }
    if (command instanceof StrongCommand.LeaderRead forwarded) {
      return asLeader
          .apply(forwarded.reads())
          .thenApply(
              answered ->
                  toMessage(
                      answered.orElseThrow(
                          () ->
                              StrongKeyException.unavailable(
                                  "this replica could not answer as the group's leader"))));
    }
    return unlessStopped(() -> readAll(command)).thenApply(StrongStateMachine::toMessage);
  }

  /**
   * Answers {@code reads} (a {@code Get} or a batch of them) once this replica has applied the log
   * through {@code index}: a read at a leader that confirmed it still leads ({@link LeaderReads}).
   */
  CompletableFuture<StrongReply> readAfter(long index, StrongCommand reads) {
    return appliedThrough(index).thenCompose(ignored -> unlessStopped(() -> readAll(reads)));
  }

  /** This replica's current term in the group (the follower's side of {@link LeaderReads}). */
  private CompletableFuture<StrongReply> currentTerm() {
    try {
      RaftServer server = getServer().getNow(null);
      if (server == null) {
        throw new IOException("not initialized");
      }
      return CompletableFuture.completedFuture(
          new StrongReply.Term(server.getDivision(getGroupId()).getInfo().getCurrentTerm()));
    } catch (IOException e) {
      return CompletableFuture.failedFuture(
          StrongKeyException.unavailable("this replica of the key's Raft group is not running"));
    }
  }

  /** Reads the keys of {@code reads}, a {@code Get} or a batch of them, from this replica. */
  private CompletableFuture<StrongReply> readAll(StrongCommand reads) {
    if (reads instanceof StrongCommand.Batch batch && batch.reads()) {
      return batchReply(batch.commands().stream().map(get -> read(get.key())).toList());
    }
    if (reads instanceof StrongCommand.Get get) {
      return read(get.key());
    }
    return CompletableFuture.failedFuture(
        new IllegalArgumentException("only reads are queries, not " + reads));
  }

  /** Completes once the applied index has reached {@code index}. */
  private CompletableFuture<Void> appliedThrough(long index) {
    if (lastAppliedIndex() >= index) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> waiter =
        awaitingApply.computeIfAbsent(index, ignored -> new CompletableFuture<>());
    releaseAppliedThrough(lastAppliedIndex()); // it may have moved since the check above
    return waiter;
  }

  private void releaseAppliedThrough(long index) {
    NavigableMap<Long, CompletableFuture<Void>> reached = awaitingApply.headMap(index, true);
    for (var waiter = reached.pollFirstEntry(); waiter != null; waiter = reached.pollFirstEntry()) {
      waiter.getValue().complete(null);
    }
  }

  private long lastAppliedIndex() {
    TermIndex last = getLastAppliedTermIndex();
    return last == null ? -1 : last.getIndex();
  }

  @Override
  protected boolean updateLastAppliedTermIndex(TermIndex applied) {
    boolean updated = super.updateLastAppliedTermIndex(applied);
    releaseAppliedThrough(lastAppliedIndex());
    return updated;
  }

  private CompletableFuture<StrongReply> unlessStopped(
      Supplier<CompletableFuture<StrongReply>> read) {
    if (stopped) {
      // Ratis counts the entries whose storage failed as applied: this replica's state may lack
      // them, and a linearizable read must not be served from it.
      return CompletableFuture.failedFuture(
          StrongKeyException.unavailable(
              "this replica of the key's Raft group stopped on a storage failure"));
    }
    return read.get();
  }

  /** The key's applied state in this replica, without going through Raft (may lag). */
  CompletableFuture<StrongReply> read(String key) {
    StrongRecord.Entry pending = uncommitted.get(key);
    if (pending != null) {
      return CompletableFuture.completedFuture(found(Optional.of(pending)));
    }
    return store
        .get(Table.STRONG, StrongRecord.entryKey(group, key))
        .thenApply(payload -> found(StrongRecord.decodeEntry(payload, key)));
  }

  private static StrongReply found(Optional<StrongRecord.Entry> entry) {
    return entry
        .filter(e -> !e.tombstone())
        .<StrongReply>map(e -> new StrongReply.Found(e.revision(), e.contentType(), e.value()))
        .orElse(new StrongReply.NotFound());
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    if (!awaitCommitted()) {
      return -1; // no snapshot: Ratis asks again after the next apply, cheaply
    }
    StrongRecord.Meta durable = readMeta();
    StrongRecord.Meta meta =
        new StrongRecord.Meta(durable.revision(), last.getTerm(), last.getIndex());
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    StrongSnapshot.Written written = StrongSnapshot.write(file.toPath(), group, store, meta);
    FileInfo info = new FileInfo(file.toPath(), MD5FileUtil.computeAndSaveMd5ForFile(file));
    SingleFileSnapshotInfo taken = new SingleFileSnapshotInfo(info, last);
    storage.updateLatestSnapshot(taken);
    setLatestSnapshot(taken);
    // The snapshot's index may be a leader's no-op after the last write; recording it keeps the
    // next start from reloading a snapshot that LMDB already holds.
    StoreFutures.join(
        submit(metaKey, current -> StoreUpdate.Outcome.write(StrongRecord.encode(meta), null)));
    for (byte[] key : written.tombstones()) {
      submit(key, current -> forgetTombstone(current, last.getIndex()));
    }
    log.info(
        "group {}: snapshot at {} with {} keys, {} tombstones dropped",
        group,
        last,
        written.entries(),
        written.tombstones().size());
    return last.getIndex();
  }

  /**
   * Waits until everything applied is committed; false when this replica stopped on a storage
   * failure, whose LMDB then lacks entries Ratis counts as applied: a snapshot of it would be
   * wrong. (Throwing instead makes Ratis' applier retry the snapshot in a tight loop.)
   */
  private boolean awaitCommitted() {
    if (stopped) {
      return false;
    }
    try {
      StoreFutures.join(committed);
      return true;
    } catch (RuntimeException e) {
      if (stopped) {
        return false;
      }
      throw e;
    }
  }

  /** A tombstone covered by a snapshot guards nothing any more: Ratis never re-applies below it. */
  private static StoreUpdate.Outcome<Void> forgetTombstone(Optional<byte[]> current, long index) {
    if (current.isPresent()) {
      StrongRecord.Entry entry = StrongRecord.decodeEntry(current.get());
      if (entry.tombstone() && entry.modifiedAt() <= index) {
        return StoreUpdate.Outcome.delete(null);
      }
    }
    return StoreUpdate.Outcome.unchanged(null);
  }

  /**
   * Queues an update of this group's data; a full writer queue is waited out (the caller is a Ratis
   * thread), so updates are queued exactly in the order they were submitted.
   *
   * <p>After the first of this instance's updates fails, none of its later ones writes anything
   * ({@link #stopped}), so LMDB always holds a prefix of the applied log. Without that a batch
   * committed after a failed one (a full disk frees what the failed transaction held) would store
   * later entries without an earlier one, and re-applying the earlier one from the log would hand
   * out a revision counted past the later ones: this replica's revisions would differ from the
   * others'. The failure hook is attached right after queueing: either it runs in the writer when
   * the batch fails, before the writer starts the next one, or (the batch already failed) here,
   * before this thread queues anything else.
   */
  private <R> CompletableFuture<R> submit(byte[] key, StoreUpdate<R> update) {
    StoreUpdate<R> guarded =
        current -> {
          if (stopped) {
            throw new IllegalStateException(
                "group " + group + ": an earlier storage update failed; writing nothing more");
          }
          try {
            return update.apply(current);
          } catch (RuntimeException e) {
            stopped = true; // before the writer runs the next update of this batch
            throw e;
          }
        };
    CompletableFuture<R> future =
        StoreFutures.submit(store, Table.STRONG, key, guarded, OVERLOAD_RETRY_MILLIS);
    future.whenComplete(
        (result, failure) -> {
          if (failure != null) {
            stopped = true;
          }
        });
    return future;
  }

  /**
   * Stops this instance for good: it writes nothing more and reports no failure. Called when its
   * division is replaced by one recovered from disk ({@link DivisionRepair}), which gets a new
   * instance.
   */
  void retire() {
    failed.set(true);
    stopped = true;
  }

  private Void fatal(Throwable failure) {
    if (failed.compareAndSet(false, true)) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      if (cause instanceof StoreException store && store.reason() == StoreException.Reason.CLOSED) {
        // The node is stopping: there is nothing to recover.
        log.info("group {}: storage closed while applying; stopping", group);
        return null;
      }
      log.error(
          "group {}: applying to storage failed; this replica of the group stops and is"
              + " recovered from disk",
          group,
          cause);
      onFatal.run();
    }
    return null;
  }

  private static Message toMessage(StrongReply reply) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(StrongReply.encode(reply)));
  }
}
