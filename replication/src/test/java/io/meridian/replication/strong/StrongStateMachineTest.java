package io.meridian.replication.strong;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.HybridLogicalClock;
import io.meridian.core.LmdbStore;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.ConfigLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.LmdbException;

/**
 * The state machine of one group on a real LMDB store, driven by hand-made log entries: revisions,
 * preconditions, deletes, idempotent re-application after a restart, and snapshots written from
 * LMDB and loaded into another store.
 */
class StrongStateMachineTest {
  private static final UUID GROUP = UUID.randomUUID();
  private static final long CLIENT = 7;

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private long nonce;

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void writes_getConsecutiveRevisionsAcrossKeys() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    assertThat(apply(machine, 1, put("x", "1"))).isEqualTo(new StrongReply.Written(1));
    assertThat(apply(machine, 2, put("y", "2"))).isEqualTo(new StrongReply.Written(2));
    // Log indices are not dense (index 3 is, say, a leader's no-op): revisions still are.
    assertThat(apply(machine, 4, put("x", "3"))).isEqualTo(new StrongReply.Written(3));
    assertThat(shown(read(machine, "x"))).isEqualTo("3@3");
    assertThat(shown(read(machine, "y"))).isEqualTo("2@2");
    assertThat(read(machine, "z")).isInstanceOf(StrongReply.NotFound.class);
  }

  @Test
  void aReply_comesBeforeTheStorageCommit_andReadsSeeTheAppliedValueMeanwhile() throws Exception {
    LmdbStore store = store("a");
    CountDownLatch commit = new CountDownLatch(1);
    open.add(commit::countDown); // a failed assertion must not leave the writer (and close) waiting
    StrongStateMachine machine = machine(holdingCommits(store, commit), dir.resolve("raft-a"));
    byte[] stored = StrongRecord.entryKey(GROUP, "k");

    // The writer has applied the put and now waits, its transaction open: nothing is committed.
    CompletableFuture<StrongReply> reply =
        CompletableFuture.supplyAsync(() -> apply(machine, 1, put("k", "v1")));
    assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo(new StrongReply.Written(1));
    assertThat(store.get(Table.STRONG, stored).join()).isEmpty();
    assertThat(shown(read(machine, "k"))).isEqualTo("v1@1");
    assertThat(shown(machine.read("k").join())).isEqualTo("v1@1");
    // Dumped from LMDB, a snapshot must wait for the commit to hold the put. The pause gives one
    // that does not wait the time to read LMDB before the commit; what it wrote is checked below.
    CompletableFuture<Long> snapshot = CompletableFuture.supplyAsync(() -> takeSnapshot(machine));
    Thread.sleep(200);

    commit.countDown();
    assertThat(snapshot.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(store.get(Table.STRONG, stored).join()).isPresent();
    assertThat(shown(read(machine, "k"))).isEqualTo("v1@1");
    StrongStateMachine follower = machine(store("b"), "b");
    install(machine, follower);
    assertThat(shown(read(follower, "k"))).isEqualTo("v1@1");
  }

  @Test
  void aReadAfterAnIndex_waitsUntilThatIndexIsApplied() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    apply(machine, 1, put("k", "v1"));
    assertThat(shown(machine.readAfter(1, new StrongCommand.Get(0, "k")).get(10, SECONDS)))
        .isEqualTo("v1@1");

    CompletableFuture<StrongReply> waiting =
        machine.readAfter(
            3,
            new StrongCommand.Batch(
                0, List.of(new StrongCommand.Get(0, "k"), new StrongCommand.Get(0, "other"))));
    apply(machine, 2, put("other", "x"));
    // Index 2 is applied (apply returns after the applied index moved), 3 is not yet.
    assertThat(waiting).isNotDone();
    apply(machine, 3, put("k", "v2"));
    List<StrongReply> replies = ((StrongReply.Batch) waiting.get(10, SECONDS)).replies();
    assertThat(replies.stream().map(StrongStateMachineTest::shown)).containsExactly("v2@3", "x@2");
  }

  @Test
  void compareAndSet_appliesOnlyAtTheExpectedRevision() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    apply(machine, 1, put("k", "v1"));
    assertThat(apply(machine, 2, cas("k", 1, "v2"))).isEqualTo(new StrongReply.Written(2));
    assertThat(apply(machine, 3, cas("k", 1, "lost")))
        .isEqualTo(new StrongReply.PreconditionFailed(2));
    assertThat(apply(machine, 4, cas("absent", 1, "x")))
        .isEqualTo(new StrongReply.PreconditionFailed(0));
    assertThat(shown(read(machine, "k"))).isEqualTo("v2@2");
  }

  @Test
  void createOnly_failsWhenTheKeyExists() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    assertThat(apply(machine, 1, create("k", "first"))).isEqualTo(new StrongReply.Written(1));
    assertThat(apply(machine, 2, create("k", "second")))
        .isEqualTo(new StrongReply.PreconditionFailed(1));
    assertThat(shown(read(machine, "k"))).isEqualTo("first@1");
  }

  @Test
  void delete_removesTheKeyAndTakesARevision() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    apply(machine, 1, put("k", "v"));
    assertThat(apply(machine, 2, delete("k", new Precondition.RevisionIs(7))))
        .isEqualTo(new StrongReply.PreconditionFailed(1));
    assertThat(apply(machine, 3, delete("k", new Precondition.None())))
        .isEqualTo(new StrongReply.Written(2));
    assertThat(read(machine, "k")).isInstanceOf(StrongReply.NotFound.class);
    assertThat(apply(machine, 4, delete("k", new Precondition.None())))
        .isInstanceOf(StrongReply.NotFound.class);
    assertThat(apply(machine, 5, create("k", "again"))).isEqualTo(new StrongReply.Written(3));
  }

  @Test
  void reapplyingTheLog_afterARestart_changesNothingAndKeepsRevisions() throws Exception {
    LmdbStore store = store("a");
    StrongStateMachine first = machine(store, "a");
    List<StrongCommand> log =
        List.of(
            put("a", "1"),
            put("b", "2"),
            cas("a", 1, "3"),
            delete("b", new Precondition.None()),
            cas("a", 1, "lost"),
            put("b", "4"));
    List<StrongReply> original = new ArrayList<>();
    for (int i = 0; i < log.size(); i++) {
      original.add(apply(first, i + 1, log.get(i)));
    }
    loseMetaRecord(store);

    StrongStateMachine second = machine(store, "a-restarted");
    for (int i = 0; i < log.size(); i++) {
      StrongReply again = apply(second, i + 1, log.get(i));
      if (original.get(i) instanceof StrongReply.Written written) {
        assertThat(again).isIn(written, new StrongReply.Superseded());
      } else {
        assertThat(again).isEqualTo(original.get(i));
      }
    }
    assertThat(shown(read(second, "a"))).isEqualTo("3@3");
    assertThat(shown(read(second, "b"))).isEqualTo("4@5");
    assertThat(apply(second, 7, put("c", "5"))).isEqualTo(new StrongReply.Written(6));
  }

  @Test
  void aCopyOfAWrite_isAppliedOnce_andAnsweredWithTheFirstCopysReply() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    StrongCommand write = put("k", "mine");
    assertThat(apply(machine, 1, write)).isEqualTo(new StrongReply.Written(1));
    assertThat(apply(machine, 2, new StrongRequest(8, 0, put("k", "theirs"))))
        .isEqualTo(new StrongReply.Written(2));

    // A retry appended the write again, after another client's write of the key.
    assertThat(apply(machine, 3, write)).isEqualTo(new StrongReply.Written(1));

    assertThat(shown(read(machine, "k"))).isEqualTo("theirs@2");
    assertThat(apply(machine, 4, put("other", "x"))).isEqualTo(new StrongReply.Written(3));
  }

  @Test
  void aCopyOfAFailedCreate_failsAgain_thoughItWouldNowSucceed() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    apply(machine, 1, put("k", "1"));
    StrongCommand create = create("k", "mine");
    assertThat(apply(machine, 2, create)).isEqualTo(new StrongReply.PreconditionFailed(1));
    apply(machine, 3, delete("k", new Precondition.None()));

    // The client was told 412; a late copy must not create the key behind its back.
    assertThat(apply(machine, 4, create)).isEqualTo(new StrongReply.PreconditionFailed(1));

    assertThat(read(machine, "k")).isInstanceOf(StrongReply.NotFound.class);
  }

  @Test
  void aCopyOfAWriteItsClientHasFinished_isNotApplied() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    StrongCommand answered = put("a", "1"); // nonce 1
    StrongCommand givenUp = put("b", "2"); // nonce 2, never applied before its client gave up
    StrongCommand later = put("c", "3"); // nonce 3
    assertThat(apply(machine, 1, answered)).isEqualTo(new StrongReply.Written(1));
    assertThat(apply(machine, 2, new StrongRequest(CLIENT, 3, later)))
        .isEqualTo(new StrongReply.Written(2));

    assertThat(apply(machine, 3, answered)).isInstanceOf(StrongReply.Superseded.class);
    assertThat(apply(machine, 4, givenUp)).isInstanceOf(StrongReply.Superseded.class);

    assertThat(shown(read(machine, "a"))).isEqualTo("1@1");
    assertThat(read(machine, "b")).isInstanceOf(StrongReply.NotFound.class);
    assertThat(apply(machine, 5, put("d", "4"))).isEqualTo(new StrongReply.Written(3));
  }

  @Test
  void sessions_surviveARestartAndASnapshot() throws Exception {
    LmdbStore store = store("a");
    StrongStateMachine first = machine(store, "a");
    StrongCommand write = put("k", "1");
    apply(first, 1, write);
    apply(first, 2, put("k", "2"));
    awaitWriter(store);

    StrongStateMachine restarted = machine(store, "a-restarted");
    assertThat(apply(restarted, 3, write)).isEqualTo(new StrongReply.Written(1));
    assertThat(shown(read(restarted, "k"))).isEqualTo("2@2");
    assertThat(restarted.takeSnapshot()).isEqualTo(3);

    StrongStateMachine follower = machine(store("b"), "b");
    install(restarted, follower);
    assertThat(apply(follower, 4, write)).isEqualTo(new StrongReply.Written(1));
    assertThat(shown(read(follower, "k"))).isEqualTo("2@2");
  }

  @Test
  void aBatch_appliesItsWritesInOrder_eachWithItsOwnPreconditionAndRevision() throws Exception {
    StrongStateMachine machine = machine(store("a"), "a");
    assertThat(apply(machine, 1, put("a", "1"))).isEqualTo(new StrongReply.Written(1));
    StrongCommand.Batch batch =
        new StrongCommand.Batch(
            ++nonce,
            List.of(
                (StrongCommand.Single) cas("a", 1, "2"),
                (StrongCommand.Single) create("b", "3"),
                (StrongCommand.Single) cas("c", 5, "lost"),
                (StrongCommand.Single) delete("d", new Precondition.None())));
    StrongReply reply = apply(machine, 2, batch);
    assertThat(((StrongReply.Batch) reply).replies())
        .containsExactly(
            new StrongReply.Written(2),
            new StrongReply.Written(3),
            new StrongReply.PreconditionFailed(0),
            new StrongReply.NotFound());
    assertThat(shown(read(machine, "a"))).isEqualTo("2@2");
    assertThat(shown(read(machine, "b"))).isEqualTo("3@3");
    assertThat(apply(machine, 3, put("c", "4"))).isEqualTo(new StrongReply.Written(4));

    StrongCommand.Batch reads =
        new StrongCommand.Batch(
            ++nonce,
            List.of(
                new StrongCommand.Get(++nonce, "b"),
                new StrongCommand.Get(++nonce, "d"),
                new StrongCommand.Get(++nonce, "b")));
    List<StrongReply> answers =
        ((StrongReply.Batch)
                StrongReply.decode(
                    machine
                        .query(Message.valueOf(ByteString.copyFrom(request(reads).encode())))
                        .get()
                        .getContent()
                        .asReadOnlyByteBuffer()))
            .replies();
    assertThat(shown(answers.get(0))).isEqualTo("3@3");
    assertThat(answers.get(1)).isInstanceOf(StrongReply.NotFound.class);
    assertThat(shown(answers.get(2))).isEqualTo("3@3");
  }

  @Test
  void aBatch_reappliedAfterARestart_changesNothing() throws Exception {
    LmdbStore store = store("a");
    StrongStateMachine first = machine(store, "a");
    StrongCommand.Batch batch =
        new StrongCommand.Batch(
            ++nonce,
            List.of((StrongCommand.Single) put("a", "1"), (StrongCommand.Single) put("b", "2")));
    StrongReply original = apply(first, 1, batch);
    loseMetaRecord(store);

    StrongStateMachine second = machine(store, "a-restarted");
    assertThat(apply(second, 1, batch)).isEqualTo(original);
    assertThat(shown(read(second, "b"))).isEqualTo("2@2");
    assertThat(apply(second, 2, put("c", "3"))).isEqualTo(new StrongReply.Written(3));
  }

  @Test
  void afterAFailedStorageUpdate_laterEntriesWriteNothing_soStorageHoldsAPrefixOfTheLog()
      throws Exception {
    // A full disk fails one commit; a later, smaller one may fit. Were the later entries stored,
    // re-applying the failed one from the log would give it a revision past theirs.
    LmdbStore store = store("a");
    AtomicInteger fatal = new AtomicInteger();
    CompletableFuture<Void> reported = new CompletableFuture<>();
    StrongStateMachine machine =
        machine(
            failingOnce(store, "big"),
            dir.resolve("raft-a"),
            () -> {
              fatal.incrementAndGet();
              reported.complete(null);
            });
    assertThat(apply(machine, 1, put("x", "1"))).isEqualTo(new StrongReply.Written(1));
    awaitWriter(store);
    // Decided before the writer fails: the entry is committed in Raft, and the same revision is
    // what recovery hands out again (below).
    assertThat(apply(machine, 2, put("big", "2"))).isEqualTo(new StrongReply.Written(2));
    assertThat(reported).succeedsWithin(10, TimeUnit.SECONDS);
    // Ratis gets no failed apply (its applier would retry it forever): the result is unknown.
    assertThat(apply(machine, 3, put("y", "3"))).isEqualTo(new StrongReply.Superseded());
    // Ratis counts those entries applied; this replica lacks them, so it serves no reads.
    assertThat(queryAsync(machine, "x")).failsWithin(10, TimeUnit.SECONDS);
    awaitWriter(store);
    assertThat(fatal).hasValue(1);
    assertThat(store.get(Table.STRONG, StrongRecord.entryKey(GROUP, "x")).join()).isPresent();
    assertThat(store.get(Table.STRONG, StrongRecord.entryKey(GROUP, "y")).join()).isEmpty();
    StrongRecord.Meta meta =
        StrongRecord.decodeMeta(store.get(Table.STRONG, StrongRecord.metaKey(GROUP)).join().get());
    assertThat(meta.appliedIndex()).isEqualTo(1);
    assertThat(meta.revision()).isEqualTo(1);

    // Recovered from storage and the log (as after a restart), it hands out the same revisions.
    StrongStateMachine recovered = machine(store, dir.resolve("raft-a-again"));
    assertThat(apply(recovered, 2, put("big", "2"))).isEqualTo(new StrongReply.Written(2));
    assertThat(apply(recovered, 3, put("y", "3"))).isEqualTo(new StrongReply.Written(3));
  }

  @Test
  void snapshot_roundTripsIntoAnotherStore() throws Exception {
    StrongStateMachine leader = machine(store("a"), "a");
    apply(leader, 1, put("kept", "1"));
    apply(leader, 2, put("deleted", "2"));
    apply(leader, 3, delete("deleted", new Precondition.None()));
    apply(leader, 4, put("long-" + "x".repeat(600), "long"));
    apply(leader, 5, put("kept", "5"));
    long index = leader.takeSnapshot();
    assertThat(index).isEqualTo(5);

    // A follower far behind, with a key the snapshot no longer has, installs it.
    StrongStateMachine follower = machine(store("b"), "b");
    apply(follower, 1, put("kept", "1"));
    apply(follower, 2, put("deleted", "2"));
    install(leader, follower);

    assertThat(follower.getLastAppliedTermIndex().getIndex()).isEqualTo(5);
    assertThat(shown(read(follower, "kept"))).isEqualTo("5@5");
    assertThat(read(follower, "deleted")).isInstanceOf(StrongReply.NotFound.class);
    assertThat(shown(read(follower, "long-" + "x".repeat(600)))).isEqualTo("long@4");
    // Both continue with the same revisions.
    assertThat(apply(follower, 6, put("next", "6"))).isEqualTo(new StrongReply.Written(6));
    assertThat(apply(leader, 6, put("next", "6"))).isEqualTo(new StrongReply.Written(6));
  }

  @Test
  void interruptedSnapshotLoad_isRedoneAtTheNextStart() throws Exception {
    StrongStateMachine leader = machine(store("a"), "a");
    apply(leader, 1, put("k", "v"));
    leader.takeSnapshot();
    File snapshot =
        leader.getStateMachineStorage().getLatestSnapshot().getFile().getPath().toFile();

    LmdbStore store = store("b");
    Path raftDir = dir.resolve("raft-b");
    StrongStateMachine follower = machine(store, raftDir);
    open.remove(open.size() - 1).close(); // releases the directory lock, as a crash would
    Path smDir = follower.getStateMachineStorage().getSnapshotFile(1, 1).toPath().getParent();
    Files.copy(snapshot.toPath(), smDir.resolve(snapshot.getName()));
    // The load was interrupted: only the loading mark made it to disk.
    StoreFutures.join(
        store.update(
            Table.STRONG,
            StrongRecord.metaKey(GROUP),
            current ->
                StoreUpdate.Outcome.write(
                    StrongRecord.encode(new StrongRecord.Meta(0, 0, StrongRecord.Meta.LOADING)),
                    null)));

    StrongStateMachine restarted = machine(store, raftDir);
    assertThat(shown(read(restarted, "k"))).isEqualTo("v@1");
  }

  // ---- fixtures ----------------------------------------------------------------------------

  /** A crash that lost the group's meta record but kept the keys (they commit first). */
  private static void loseMetaRecord(LmdbStore store) {
    StoreFutures.join(
        store.update(
            Table.STRONG,
            StrongRecord.metaKey(GROUP),
            current -> StoreUpdate.Outcome.delete(null)));
  }

  private LmdbStore store(String name) {
    LmdbStore store =
        LmdbStore.open(
            dir.resolve("data-" + name),
            new ConfigLoader().defaults().storage(),
            HybridLogicalClock.system(),
            new SimpleMeterRegistry());
    open.add(store);
    return store;
  }

  private StrongStateMachine machine(LmdbStore store, String name) throws IOException {
    return machine(store, dir.resolve("raft-" + name));
  }

  /** {@code store}, whose writer waits for {@code commit} after applying each update. */
  private static Store holdingCommits(Store store, CountDownLatch commit) {
    return new ForwardingStore(store) {
      @Override
      public <R> CompletableFuture<R> update(Table table, byte[] key, StoreUpdate<R> update) {
        return super.update(
            table,
            key,
            current -> {
              StoreUpdate.Outcome<R> outcome = update.apply(current);
              try {
                commit.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return outcome;
            });
      }
    };
  }

  /**
   * {@code store}, whose first update of {@code key} fails in the writer as a full disk does: the
   * whole batch holding it fails.
   */
  private static Store failingOnce(Store store, String key) {
    byte[] failing = StrongRecord.entryKey(GROUP, key);
    AtomicInteger failures = new AtomicInteger();
    return new ForwardingStore(store) {
      @Override
      public <R> CompletableFuture<R> update(Table table, byte[] k, StoreUpdate<R> update) {
        if (Arrays.equals(k, failing) && failures.getAndIncrement() == 0) {
          return super.update(
              table,
              k,
              current -> {
                throw new LmdbException("no space left on device");
              });
        }
        return super.update(table, k, update);
      }
    };
  }

  /**
   * The writer runs updates in order, and an update of the strong table completes at the checkpoint
   * that commits it: once this one is done, everything queued before is committed.
   */
  private static void awaitWriter(Store store) {
    store
        .update(Table.STRONG, new byte[] {1}, current -> StoreUpdate.Outcome.unchanged(null))
        .join();
  }

  /** Installs {@code from}'s latest snapshot into {@code to}, as Ratis does on a follower. */
  private static void install(StrongStateMachine from, StrongStateMachine to) throws IOException {
    File snapshot = from.getStateMachineStorage().getLatestSnapshot().getFile().getPath().toFile();
    Path directory = to.getStateMachineStorage().getSnapshotFile(1, 1).toPath().getParent();
    Files.copy(snapshot.toPath(), directory.resolve(snapshot.getName()));
    Files.copy(
        snapshot.toPath().resolveSibling(snapshot.getName() + ".md5"),
        directory.resolve(snapshot.getName() + ".md5"));
    to.pause();
    to.reinitialize();
  }

  private static long takeSnapshot(StrongStateMachine machine) {
    try {
      return machine.takeSnapshot();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private StrongStateMachine machine(Store store, Path raftDir) throws IOException {
    return machine(
        store,
        raftDir,
        () -> {
          throw new AssertionError("storage failed");
        });
  }

  private StrongStateMachine machine(Store store, Path raftDir, Runnable onFatal)
      throws IOException {
    RaftStorage storage =
        RaftStorage.newBuilder()
            .setDirectory(raftDir.toFile())
            .setOption(
                Files.exists(raftDir)
                    ? RaftStorage.StartupOption.RECOVER
                    : RaftStorage.StartupOption.FORMAT)
            .setStorageFreeSpaceMin(SizeInBytes.ZERO)
            .build();
    storage.initialize();
    open.add(storage);
    StrongStateMachine machine =
        new StrongStateMachine(
            GROUP,
            store,
            onFatal,
            () -> {},
            reads -> CompletableFuture.completedFuture(Optional.empty()),
            new LogSizeSnapshots(
                RaftTuning.SNAPSHOT_LOG_BYTES, () -> CompletableFuture.completedFuture(null)));
    machine.initialize(server(), RaftGroupId.valueOf(GROUP), storage);
    return machine;
  }

  /** Only {@code getId} is ever called, for log messages. */
  private static RaftServer server() {
    return (RaftServer)
        Proxy.newProxyInstance(
            RaftServer.class.getClassLoader(),
            new Class<?>[] {RaftServer.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getId")) {
                return RaftPeerId.valueOf("test");
              }
              if (method.getName().equals("toString")) {
                return "test-server";
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  private StrongReply apply(StrongStateMachine machine, long index, StrongCommand command) {
    return apply(machine, index, request(command));
  }

  private StrongReply apply(StrongStateMachine machine, long index, StrongRequest request) {
    Message reply = applyAsync(machine, index, request).join();
    return StrongReply.decode(reply.getContent().asReadOnlyByteBuffer());
  }

  private CompletableFuture<Message> applyAsync(
      StrongStateMachine machine, long index, StrongCommand command) {
    return applyAsync(machine, index, request(command));
  }

  private CompletableFuture<Message> applyAsync(
      StrongStateMachine machine, long index, StrongRequest request) {
    LogEntryProto entry =
        LogEntryProto.newBuilder()
            .setTerm(1)
            .setIndex(index)
            .setStateMachineLogEntry(
                StateMachineLogEntryProto.newBuilder()
                    .setLogData(ByteString.copyFrom(request.encode())))
            .build();
    TransactionContext trx =
        TransactionContext.newBuilder()
            .setServerRole(RaftPeerRole.FOLLOWER)
            .setStateMachine(machine)
            .setLogEntry(entry)
            .build();
    return machine.applyTransaction(trx);
  }

  private StrongReply read(StrongStateMachine machine, String key) {
    Message reply = queryAsync(machine, key).join();
    return StrongReply.decode(reply.getContent().asReadOnlyByteBuffer());
  }

  private static CompletableFuture<Message> queryAsync(StrongStateMachine machine, String key) {
    return machine.query(
        Message.valueOf(ByteString.copyFrom(request(new StrongCommand.Get(0, key)).encode())));
  }

  /** {@code command} as {@link #CLIENT} sends it, having finished nothing yet. */
  private static StrongRequest request(StrongCommand command) {
    return new StrongRequest(CLIENT, 0, command);
  }

  private StrongCommand put(String key, String value) {
    return new StrongCommand.Put(
        ++nonce,
        key,
        new Precondition.None(),
        "text/plain",
        value.getBytes(StandardCharsets.UTF_8));
  }

  private StrongCommand cas(String key, long revision, String value) {
    return new StrongCommand.Put(
        ++nonce,
        key,
        new Precondition.RevisionIs(revision),
        "text/plain",
        value.getBytes(StandardCharsets.UTF_8));
  }

  private StrongCommand create(String key, String value) {
    return new StrongCommand.Put(
        ++nonce,
        key,
        new Precondition.Absent(),
        "text/plain",
        value.getBytes(StandardCharsets.UTF_8));
  }

  private StrongCommand delete(String key, Precondition precondition) {
    return new StrongCommand.Delete(++nonce, key, precondition);
  }

  /** A read's answer as {@code value@revision}, or the reply's type. */
  private static String shown(StrongReply reply) {
    if (reply instanceof StrongReply.Found found) {
      return new String(found.value(), StandardCharsets.UTF_8) + "@" + found.revision();
    }
    return reply.getClass().getSimpleName();
  }
}
