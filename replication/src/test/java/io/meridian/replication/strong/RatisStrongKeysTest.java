package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.meridian.core.HybridLogicalClock;
import io.meridian.core.LmdbStore;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.LmdbException;

/**
 * Three Raft servers in one JVM on loopback ports, each with its own LMDB store, serving strong
 * keys through {@link RatisStrongKeys}: writes, compare-and-set and linearizable reads from any
 * node, a leader that goes away, and a follower that comes back after the log was purged and
 * catches up from an installed snapshot.
 */
class RatisStrongKeysTest {
  private static final int GROUPS = 2;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<RaftMember> members = new ArrayList<>();
  private final RatisStrongKeys[] nodes = new RatisStrongKeys[3];
  private final LmdbStore[] stores = new LmdbStore[3];

  /** Each node's free space on its Raft disk, as its repairs see it. */
  private final AtomicLong[] free = {
    new AtomicLong(Long.MAX_VALUE), new AtomicLong(Long.MAX_VALUE), new AtomicLong(Long.MAX_VALUE)
  };

  private Placement placement;
  private RaftTuning tuning;

  @BeforeEach
  void startThreeNodes() {
    for (int i = 0; i < 3; i++) {
      members.add(new RaftMember("n" + (i + 1), "r" + (i + 1), "127.0.0.1:" + freePort()));
    }
    placement = Placement.compute("test", GROUPS, members);
    MeridianConfig config =
        new ConfigLoader().load(Optional.empty(), List.of("raft.electionTimeoutMs=500"));
    tuning = RaftTuning.from(config).withSnapshotTriggers(64, RaftTuning.SNAPSHOT_LOG_BYTES);
    for (int i = 0; i < 3; i++) {
      startNode(i);
    }
    for (Placement.Group group : placement.groups()) {
      leaderOf(group.index());
    }
  }

  @AfterEach
  void stopAll() {
    for (int i = 0; i < 3; i++) {
      stopNode(i);
    }
  }

  @Test
  void writesAndReads_fromAnyNode_areLinearizable() throws Exception {
    long first = get(nodes[0].put("k", bytes("v1"), "text/plain", Precondition.none()));
    Optional<StrongKeys.Value> read = get(nodes[1].get("k", false));
    assertThat(read).isPresent();
    assertThat(new String(read.get().bytes(), UTF_8)).isEqualTo("v1");
    assertThat(read.get().revision()).isEqualTo(first);
    assertThat(read.get().contentType()).isEqualTo("text/plain");

    long second =
        get(nodes[2].put("k", bytes("v2"), "text/plain", new Precondition.RevisionIs(first)));
    assertThat(second).isGreaterThan(first);
    assertThatThrownBy(
            () ->
                get(
                    nodes[0].put(
                        "k", bytes("lost"), "text/plain", new Precondition.RevisionIs(first))))
        .isInstanceOfSatisfying(
            StrongKeyException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(StrongKeyException.Reason.PRECONDITION_FAILED);
              assertThat(e.currentRevision()).hasValue(second);
            });
    assertThatThrownBy(() -> get(nodes[1].put("k", bytes("x"), "a/b", new Precondition.Absent())))
        .isInstanceOf(StrongKeyException.class);
    assertThat(get(nodes[0].get("absent", false))).isEmpty();
    assertThat(get(nodes[1].delete("k", new Precondition.None()))).isGreaterThan(second);
    assertThat(get(nodes[2].get("k", false))).isEmpty();
    assertThatThrownBy(() -> get(nodes[2].delete("k", new Precondition.None())))
        .isInstanceOfSatisfying(
            StrongKeyException.class,
            e -> assertThat(e.reason()).isEqualTo(StrongKeyException.Reason.NOT_FOUND));
  }

  @Test
  void inboundRaftCalls_runOnTheServersOwnEventLoops_whichStopWithIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      get(nodes[i].put("loops-" + i, bytes("v"), "text/plain", Precondition.none()));
    }
    assertThat(liveThreadsNamed("raft-server-io-"))
        .as("appends and forwarded requests are read on the Raft server's own loops")
        .isNotEmpty();

    stopAll();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(liveThreadsNamed("raft-server-"))
                    .as("a closed node leaves no event loop running")
                    .isEmpty());
  }

  private static List<String> liveThreadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith(prefix))
        .toList();
  }

  @Test
  void concurrentWrites_sharingRaftEntries_eachGetTheirOwnOutcome() throws Exception {
    // 40 writes at once from one node over 8 keys: most leave in batches (one Raft entry each);
    // every write still gets its own revision (revisions count per group), and a CAS on a stale
    // revision still fails.
    long base = get(nodes[0].put("cas", bytes("0"), "text/plain", Precondition.none()));
    List<io.vertx.core.Future<Long>> writes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      writes.add(nodes[0].put("k" + (i % 8), bytes("v" + i), "text/plain", Precondition.none()));
    }
    io.vertx.core.Future<Long> won =
        nodes[0].put("cas", bytes("won"), "text/plain", new Precondition.RevisionIs(base));
    io.vertx.core.Future<Long> lost =
        nodes[0].put("cas", bytes("lost"), "text/plain", new Precondition.RevisionIs(base));
    java.util.Map<String, Long> latest = new java.util.HashMap<>();
    java.util.Set<String> revisions = new java.util.HashSet<>();
    for (int i = 0; i < 40; i++) {
      long revision = get(writes.get(i));
      int group = placement.groupOf("k" + (i % 8)).index();
      assertThat(revisions.add(group + "/" + revision))
          .as("revision %d of group %d given twice", revision, group)
          .isTrue();
      latest.merge("k" + (i % 8), revision, Math::max);
    }
    // 40 linearizable reads at once from another node: batched too, each sees the last write.
    List<io.vertx.core.Future<Optional<StrongKeys.Value>>> reads = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      reads.add(nodes[1].get("k" + (i % 8), false));
    }
    for (int i = 0; i < 40; i++) {
      assertThat(get(reads.get(i)).map(StrongKeys.Value::revision))
          .as("the last write of k%d is what a linearizable read sees", i % 8)
          .hasValue(latest.get("k" + (i % 8)));
    }
    assertThat(get(won)).isGreaterThan(base);
    assertThatThrownBy(() -> get(lost))
        .isInstanceOfSatisfying(
            StrongKeyException.class,
            e -> assertThat(e.reason()).isEqualTo(StrongKeyException.Reason.PRECONDITION_FAILED));
    assertThat(new String(get(nodes[2].get("cas", false)).get().bytes(), UTF_8)).isEqualTo("won");
  }

  @Test
  void requestsAtTheLeadersNode_goStraightToItsDivision_othersThroughAClient() throws Exception {
    int leader = leaderOf("k");
    int follower = (leader + 1) % 3;
    // The first request finds the division (looked up off the request path) and goes by client.
    await()
        .atMost(WAIT)
        .until(
            () -> {
              long before = nodes[leader].localSubmissions();
              get(nodes[leader].put("k", bytes("v0"), "text/plain", Precondition.none()));
              return nodes[leader].localSubmissions() > before;
            });

    long submitted = nodes[leader].localSubmissions();
    long written = get(nodes[leader].put("k", bytes("v1"), "text/plain", Precondition.none()));
    long cas =
        get(
            nodes[leader].put(
                "k", bytes("v2"), "text/plain", new Precondition.RevisionIs(written)));
    assertThatThrownBy(
            () ->
                get(
                    nodes[leader].put(
                        "k", bytes("lost"), "text/plain", new Precondition.RevisionIs(written))))
        .isInstanceOfSatisfying(
            StrongKeyException.class, e -> assertThat(e.currentRevision()).hasValue(cas));
    long confirmedReads = nodes[leader].leaderConfirmedReads();
    Optional<StrongKeys.Value> read = get(nodes[leader].get("k", false));
    // The writes went to the division, the read was answered there (LeaderReads).
    assertThat(nodes[leader].localSubmissions()).isEqualTo(submitted + 3);
    assertThat(nodes[leader].leaderConfirmedReads()).isEqualTo(confirmedReads + 1);
    assertThat(read.map(StrongKeys.Value::revision)).hasValue(cas);
    assertThat(new String(read.get().bytes(), UTF_8)).isEqualTo("v2");

    long followerSubmitted = nodes[follower].localSubmissions();
    assertThat(get(nodes[follower].get("k", false)).map(StrongKeys.Value::revision)).hasValue(cas);
    long last = get(nodes[follower].put("k", bytes("v3"), "text/plain", Precondition.none()));
    assertThat(nodes[follower].localSubmissions()).isEqualTo(followerSubmitted);
    assertThat(last).isEqualTo(cas + 1);
  }

  @Test
  void linearizableReads_atTheLeaderOrAFollower_areAnsweredByTheConfirmedLeader_withoutALogEntry()
      throws Exception {
    int leader = leaderOf("k");
    RaftGroupId id = RaftGroupId.valueOf(placement.groupOf("k").raftId());
    RaftLog raftLog = nodes[leader].raftServer().getDivision(id).getRaftLog();
    for (int reader : new int[] {leader, (leader + 1) % 3}) {
      long revision = get(nodes[leader].put("k", bytes("v1"), "text/plain", Precondition.none()));
      // The first reads go through the log: the leader's division is being looked up, a follower's
      // read client learns from them which voter leads.
      await()
          .atMost(WAIT)
          .until(
              () -> {
                long before = nodes[leader].leaderConfirmedReads();
                get(nodes[reader].get("k", false));
                return nodes[leader].leaderConfirmedReads() > before;
              });
      long lastIndex = raftLog.getLastEntryTermIndex().getIndex();
      long confirmed = nodes[leader].leaderConfirmedReads();

      for (int i = 0; i < 5; i++) {
        assertThat(get(nodes[reader].get("k", false)).map(StrongKeys.Value::revision))
            .hasValue(revision);
      }
      assertThat(nodes[leader].leaderConfirmedReads()).isEqualTo(confirmed + 5);
      assertThat(raftLog.getLastEntryTermIndex().getIndex()).isEqualTo(lastIndex);
      // A write in between is seen by the next read.
      long next = get(nodes[leader].put("k", bytes("v2"), "text/plain", Precondition.none()));
      Optional<StrongKeys.Value> read = get(nodes[reader].get("k", false));
      assertThat(read.map(StrongKeys.Value::revision)).hasValue(next);
      assertThat(new String(read.get().bytes(), UTF_8)).isEqualTo("v2");
    }
  }

  @Test
  void aLeaderThatLostItsFollowers_answersNoLinearizableRead() throws Exception {
    // Election timeouts long enough that the leader still calls itself leader when it is asked.
    restartWithElectionTimeoutMs(4000);
    int leader = leaderOf("k");
    get(nodes[leader].put("k", bytes("v1"), "text/plain", Precondition.none()));
    // Had these been ReadIndex reads, Ratis would remember their commit index as confirmed by a
    // majority, and answer later reads at that index without asking again.
    for (int i = 0; i < 3; i++) {
      assertThat(get(nodes[leader].get("k", false))).isPresent();
    }
    long started = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      if (i != leader) {
        stopNode(i);
      }
    }
    // Without a majority the leader cannot know whether another leader has taken writes since: a
    // linearizable read must not be answered (by Ratis' ReadIndex it was, while the leader still
    // called itself leader).
    Throwable failure = catchThrowable(() -> get(nodes[leader].get("k", false)));
    System.out.printf(
        "read at a leader without followers, %d ms after they stopped: %s%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), failure);
    assertThat(failure).isInstanceOf(StrongKeyException.class);
  }

  @Test
  void leaderGoesAway_writesResumeOnTheOthers() throws Exception {
    long before = get(nodes[0].put("k", bytes("before"), "text/plain", Precondition.none()));
    int leader = leaderOf("k");
    stopNode(leader);
    int other = (leader + 1) % 3;
    long started = System.nanoTime();
    long after =
        get(
            nodes[other].put(
                "k", bytes("after"), "text/plain", new Precondition.RevisionIs(before)));
    System.out.printf(
        "write resumed %d ms after the leader stopped%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    assertThat(after).isGreaterThan(before);
    assertThat(new String(get(nodes[(leader + 2) % 3].get("k", false)).get().bytes(), UTF_8))
        .isEqualTo("after");

    startNode(leader);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(get(nodes[leader].get("k", true)).map(v -> v.revision()))
                    .hasValue(after));
  }

  /** Entries of large values: a snapshot comes by log size long before the entry count. */
  @Test
  void aGroupsLogOfLargeValues_isSnapshottedByItsSize() throws Exception {
    restartWith(tuning.withSnapshotTriggers(1_000_000, 64 << 10));
    byte[] value = new byte[8 << 10];
    for (int i = 0; i < 40; i++) {
      value[0] = (byte) i;
      get(nodes[leaderOf("k")].put("k", value, "application/octet-stream", Precondition.none()));
    }
    for (int i = 0; i < 3; i++) {
      Path raft = dir.resolve("raft-" + i);
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                try (Stream<Path> files = Files.walk(raft)) {
                  assertThat(
                          files.filter(
                              p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")))
                      .as("snapshots in %s", raft)
                      .isNotEmpty();
                }
              });
    }
  }

  @Test
  void laggingFollower_catchesUpFromAnInstalledSnapshot() throws Exception {
    get(nodes[0].put("k", bytes("0"), "text/plain", Precondition.none()));
    int follower = (leaderOf("k") + 1) % 3;
    stopNode(follower);
    int live = (follower + 1) % 3;
    long last = 0;
    for (int i = 1; i <= 300; i++) {
      last =
          get(nodes[live].put("k", bytes(Integer.toString(i)), "text/plain", Precondition.none()));
    }
    try (Stream<Path> files = Files.walk(dir.resolve("raft-" + live))) {
      assertThat(files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")))
          .as("snapshots taken (at most %d kept per group)", RaftTuning.SNAPSHOTS_RETAINED)
          .isNotEmpty()
          .hasSizeLessThanOrEqualTo(RaftTuning.SNAPSHOTS_RETAINED * GROUPS);
    }

    startNode(follower);
    awaitLocalValue(follower, "k", last, "300");
  }

  @Test
  void aReplicaWhoseRaftLogWasClosed_isRecoveredFromDisk_andCatchesUp() throws Exception {
    get(nodes[0].put("k", bytes("0"), "text/plain", Precondition.none()));
    int follower = (leaderOf("k") + 1) % 3;
    RaftGroupId id = RaftGroupId.valueOf(placement.groupOf("k").raftId());
    RaftServer.Division broken = nodes[follower].raftServer().getDivision(id);
    closeTheLogOf(broken);

    long last = writeTwentyValues("k");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(nodes[follower].raftServer().getDivision(id)).isNotSameAs(broken));
    awaitLocalValue(follower, "k", last, "v20");
  }

  @Test
  void aWriteThatMeetsItsLeadersRemovedReplica_isSentAgain_andTheNewLeaderAppliesIt()
      throws Exception {
    int leader = leaderOf("k");
    int other = (leader + 1) % 3;
    long first = get(nodes[other].put("k", bytes("0"), "text/plain", Precondition.none()));
    // The other node's Raft client now sends the group's writes to the leader. Its replica goes
    // away, as a repair removes one: that server answers "group not found", which Ratis' client
    // does not retry.
    RaftServer server = nodes[leader].raftServer();
    RaftGroupId id = RaftGroupId.valueOf(placement.groupOf("k").raftId());
    server
        .groupManagementAsync(
            GroupManagementRequest.newRemove(
                ClientId.randomId(), server.getId(), 1, id, false, false))
        .get();

    long next = get(nodes[other].put("k", bytes("1"), "text/plain", Precondition.none()));

    assertThat(next).isEqualTo(first + 1);
    assertThat(get(nodes[(leader + 2) % 3].get("k", false)).map(v -> v.revision())).hasValue(next);
  }

  @Test
  void aReplicaWhoseLogFailedOnAFullDisk_staysRemovedUntilThereIsSpace() throws Exception {
    get(nodes[0].put("k", bytes("0"), "text/plain", Precondition.none()));
    int group = placement.groupOf("k").index();
    RaftGroupId id = RaftGroupId.valueOf(placement.groupOf("k").raftId());
    int follower = (leaderOf("k") + 1) % 3;
    free[follower].set(DivisionRepair.MIN_USABLE_BYTES - 1);
    closeTheLogOf(nodes[follower].raftServer().getDivision(id));
    long last = writeTwentyValues("k");
    // Removed, and not added again over several attempts (after 0, 1 and 2 s).
    await().atMost(WAIT).until(() -> !hosts(follower, id));
    await()
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(6))
        .until(
            () ->
                !hosts(follower, id)
                    && nodes[follower].groupStatus().get(group).role().equals("recovering"));

    free[follower].set(Long.MAX_VALUE);
    awaitLocalValue(follower, "k", last, "v20");
    awaitRunning(follower, group);
  }

  @Test
  void aReplicaWhoseStorageFailsApplies_showsRecovering_andIsRecoveredOnceStorageWorks()
      throws Exception {
    get(nodes[0].put("k", bytes("0"), "text/plain", Precondition.none()));
    int group = placement.groupOf("k").index();
    int follower = (leaderOf("k") + 1) % 3;
    stopNode(follower);
    // The follower's storage fails strong-key updates while `failing` is set, as a full disk does.
    AtomicBoolean failing = new AtomicBoolean(false);
    AtomicBoolean failed = new AtomicBoolean(false);
    startNode(
        follower,
        store ->
            new ForwardingStore(store) {
              @Override
              public <R> CompletableFuture<R> update(
                  Table table, byte[] key, StoreUpdate<R> update) {
                if (table == Table.STRONG && failing.get()) {
                  failed.set(true);
                  // Fails in the writer, with the whole batch holding it, as a failed commit does.
                  return super.update(
                      table,
                      key,
                      current -> {
                        throw new LmdbException("no space left on device");
                      });
                }
                return super.update(table, key, update);
              }
            });
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(get(nodes[follower].get("k", true)).map(v -> v.revision()))
                    .hasValue(1L));
    failing.set(true);

    long last = writeTwentyValues("k");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(nodes[follower].groupStatus().get(group).role())
                    .isEqualTo("recovering"));
    assertThat(failed).as("the follower's storage failed an apply").isTrue();
    failing.set(false);

    awaitLocalValue(follower, "k", last, "v20");
    awaitRunning(follower, group);
  }

  @Test
  void groupStatus_namesLeaderAndVoters() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              List<StrongKeys.GroupStatus> groups = get(nodes[0].groups());
              assertThat(groups).hasSize(GROUPS);
              for (StrongKeys.GroupStatus group : groups) {
                assertThat(group.voters()).containsExactlyInAnyOrder("n1", "n2", "n3");
                assertThat(group.leader()).isPresent();
                assertThat(group.term()).isPresent();
                assertThat(group.role()).isIn("leader", "follower");
              }
            });
  }

  @Test
  void groupStatus_atANodeThatVotesInNoGroup_namesTheLeadersTheVotersName() throws Exception {
    try (Outsider fourth = startOutsider()) {
      RatisStrongKeys outsider = fourth.keys();
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                List<StrongKeys.GroupStatus> told = get(outsider.groups());
                List<StrongKeys.GroupStatus> voters = get(nodes[0].groups());
                assertThat(told).hasSize(GROUPS);
                for (int g = 0; g < GROUPS; g++) {
                  assertThat(told.get(g).role()).isEqualTo("none");
                  assertThat(told.get(g).leader()).isPresent().isEqualTo(voters.get(g).leader());
                  assertThat(told.get(g).term()).isEqualTo(voters.get(g).term());
                }
              });
    }
  }

  /**
   * A node that votes in no group sends a stale read to a voter; one that is down must not cost the
   * read its deadline (it was sent to that voter until then, and failed).
   */
  @Test
  void staleRead_atANodeThatVotesInNoGroup_goesOnToAnotherVoter_whenOneIsDown() throws Exception {
    long revision = get(nodes[0].put("k", bytes("v1"), "text/plain", Precondition.none()));
    for (int i = 0; i < 3; i++) {
      awaitLocalValue(i, "k", revision, "v1");
    }
    try (Outsider fourth = startOutsider()) {
      RatisStrongKeys outsider = fourth.keys();
      // The voter it asks first: the group's first.
      stopNode(members.indexOf(placement.groupOf("k").voters().get(0)));
      Optional<StrongKeys.Value> read = get(outsider.get("k", true));
      assertThat(read.map(StrongKeys.Value::revision)).hasValue(revision);
    }
  }

  /**
   * Waits until node {@code i}'s own replica shows {@code key} at {@code revision} (a stale read is
   * served by the node's replica when it has one).
   */
  private void awaitLocalValue(int i, String key, long revision, String value) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Optional<StrongKeys.Value> local = get(nodes[i].get(key, true));
              assertThat(local.map(StrongKeys.Value::revision)).hasValue(revision);
              assertThat(new String(local.get().bytes(), UTF_8)).isEqualTo(value);
            });
  }

  // ---- fixtures ----------------------------------------------------------------------------

  /**
   * Writes v1..v20 to {@code key} through its leader's node; returns the last revision. A replica
   * whose log or storage the test broke can cost the group its leader for a moment (with this
   * test's 500 ms election timeouts, sometimes longer than a request's 2 s deadline), so a write
   * that fails is written again, at most five times.
   */
  private long writeTwentyValues(String key) throws Exception {
    long last = 0;
    for (int i = 1; i <= 20; i++) {
      for (int attempt = 1; ; attempt++) {
        try {
          last =
              get(nodes[leaderOf(key)].put(key, bytes("v" + i), "text/plain", Precondition.none()));
          break;
        } catch (StrongKeyException e) {
          if (attempt == 5) {
            throw e;
          }
        }
      }
    }
    return last;
  }

  /** Waits until node {@code i}'s replica of {@code group} leads or follows again. */
  private void awaitRunning(int i, int group) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(nodes[i].groupStatus().get(group).role()).isIn("leader", "follower"));
  }

  /**
   * Closes a division's Raft log: the sign of a failed log write (a full disk) that the node's
   * repair acts on. Ratis closes the whole division then; closing the log alone keeps the rest of
   * the division running, the harder case. The log counts as closed as soon as closing starts, so
   * the repair may remove the division, and close its storage, before this close reaches the
   * storage: then this close fails as a second close of it does.
   */
  private static void closeTheLogOf(RaftServer.Division division) throws IOException {
    try {
      division.getRaftLog().close();
    } catch (ClosedChannelException repairClosedItFirst) {
      // the division is being removed, which is what the tests wait for
    }
  }

  /** Whether node {@code i}'s Raft server hosts a division of group {@code id}. */
  private boolean hosts(int i, RaftGroupId id) {
    for (RaftGroupId hosted : nodes[i].raftServer().getGroupIds()) {
      if (hosted.equals(id)) {
        return true;
      }
    }
    return false;
  }

  private void startNode(int i) {
    startNode(i, store -> store);
  }

  /** A fourth node, n4, that votes in no group of the placement. */
  private record Outsider(LmdbStore store, RatisStrongKeys keys) implements AutoCloseable {
    @Override
    public void close() {
      keys.close();
      store.close();
    }
  }

  private Outsider startOutsider() {
    RaftMember fourth = new RaftMember("n4", "r4", "127.0.0.1:" + freePort());
    LmdbStore store =
        LmdbStore.open(
            dir.resolve("data-4"),
            new ConfigLoader().defaults().storage(),
            HybridLogicalClock.system(),
            new SimpleMeterRegistry());
    return new Outsider(
        store,
        RatisStrongKeys.startWith(
            fourth, dir.resolve("raft-4"), tuning, placement, store, () -> Long.MAX_VALUE));
  }

  /** Starts node {@code i} on its store as {@code wrap} returns it. */
  private void restartWithElectionTimeoutMs(long electionTimeoutMs) {
    restartWith(
        RaftTuning.from(
                new ConfigLoader()
                    .load(Optional.empty(), List.of("raft.electionTimeoutMs=" + electionTimeoutMs)))
            .withSnapshotTriggers(64, RaftTuning.SNAPSHOT_LOG_BYTES));
  }

  /** Restarts every node with {@code settings}. */
  private void restartWith(RaftTuning settings) {
    for (int i = 0; i < 3; i++) {
      stopNode(i);
    }
    tuning = settings;
    for (int i = 0; i < 3; i++) {
      startNode(i);
    }
  }

  private void startNode(int i, UnaryOperator<Store> wrap) {
    stores[i] =
        LmdbStore.open(
            dir.resolve("data-" + i),
            new ConfigLoader().defaults().storage(),
            HybridLogicalClock.system(),
            new SimpleMeterRegistry());
    nodes[i] =
        RatisStrongKeys.startWith(
            members.get(i),
            dir.resolve("raft-" + i),
            tuning,
            placement,
            wrap.apply(stores[i]),
            free[i]::get);
  }

  private void stopNode(int i) {
    if (nodes[i] != null) {
      nodes[i].close();
      nodes[i] = null;
    }
    if (stores[i] != null) {
      stores[i].close();
      stores[i] = null;
    }
  }

  /** The index of the node that leads the group of {@code key}, once there is one. */
  private int leaderOf(String key) {
    return leaderOf(placement.groupOf(key).index());
  }

  private int leaderOf(int group) {
    String[] leader = new String[1];
    await()
        .atMost(WAIT)
        .until(
            () -> {
              for (RatisStrongKeys node : nodes) {
                if (node != null) {
                  StrongKeys.GroupStatus status = node.groupStatus().get(group);
                  // A new leader may report its role before it names itself leader.
                  if (status.role().equals("leader") && status.leader().isPresent()) {
                    leader[0] = status.leader().get();
                    return true;
                  }
                }
              }
              return false;
            });
    return Integer.parseInt(leader[0].substring(1)) - 1;
  }

  private static <T> T get(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  /** A port free on loopback now (for a Raft server of a test). */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
