package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.replication.strong.History;
import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import io.meridian.replication.strong.LinearizabilityChecker;
import io.meridian.replication.strong.Placement;
import io.meridian.replication.strong.RatisStrongKeys;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strong keys on three real node processes (one per region, so every Raft group has a voter in
 * each), under a recorded workload of five clients over ten keys (GET, PUT, compare-and-set), with
 * faults: the history of every key must be linearizable, and a final read of every key must show
 * every acknowledged write. A planted bug (linearizable reads served from the local replica) must
 * make the checker fail, which proves that these tests can fail.
 */
class StrongKeysIT {
  private static final int NODES = 3;
  private static final int CLIENTS = 5;
  private static final int KEYS = 10;
  private static final int GROUPS = 8;
  private static final long ELECTION_TIMEOUT_MS = 1500;
  private static final Duration KILL_EVERY = Duration.ofSeconds(10);
  private static final Duration RESTART_AFTER = Duration.ofSeconds(5);

  @TempDir Path dir;

  @Test
  void leaderKilledEveryTenSeconds_historiesAreLinearizable_andNoAcknowledgedWriteIsLost()
      throws Exception {
    try (StrongCluster cluster = start(List.of());
        History.Recorder recorder = new History.Recorder(historyFile("kill"))) {
      Run run = new Run(cluster, recorder);
      List<Kill> kills = run.killLeaders(Duration.ofSeconds(60));
      List<Op> history = run.finish();

      report("leader kills", history, kills, run.workload);
      LinearizabilityChecker.Result result = new LinearizabilityChecker().check(history);
      assertThat(result.linearizable()).as("linearizable:%n%s", result).isTrue();
      assertNoAcknowledgedWriteLost(history);
      assertThat(run.workload.unexpected()).as("unexpected answers").isEmpty();
      assertThat(kills).hasSizeGreaterThanOrEqualTo(4);
    }
  }

  @Test
  void leaderPausedTenSeconds_servesNoStaleRead() throws Exception {
    try (StrongCluster cluster = start(List.of());
        History.Recorder recorder = new History.Recorder(historyFile("pause"))) {
      Run run = new Run(cluster, recorder);
      run.pause(Duration.ofSeconds(5));
      int group = Placement.groupIndex(StrongWorkload.key(0), GROUPS);
      int leader = cluster.indexOf(awaitLeader(cluster, group));
      long paused = run.workload.now();
      cluster.sigstop(leader);
      run.pause(Duration.ofSeconds(10));
      cluster.sigcont(leader);
      long resumed = run.workload.now();
      run.pause(Duration.ofSeconds(15));
      List<Op> history = run.finish();

      long servedAfterResume =
          history.stream()
              .filter(op -> op.kind() == Kind.READ && op.outcome() == Outcome.OK)
              .filter(op -> op.call() >= paused && op.call() < resumed && op.ret() >= resumed)
              .count();
      System.out.printf(
          "SIGSTOP of %s (leader of group %d) for 10 s: %d reads sent during the pause were"
              + " answered after it%n",
          cluster.id(leader), group, servedAfterResume);
      report("leader paused", history, List.of(), run.workload);
      LinearizabilityChecker.Result result = new LinearizabilityChecker().check(history);
      assertThat(result.linearizable()).as("linearizable:%n%s", result).isTrue();
      assertNoAcknowledgedWriteLost(history);
    }
  }

  @Test
  void plantedBug_readsFromTheLocalReplica_isCaught() throws Exception {
    try (StrongCluster cluster =
            start(List.of("-D" + RatisStrongKeys.LOCAL_READS_SWITCH + "=true"));
        History.Recorder recorder = new History.Recorder(historyFile("bug"))) {
      Run run = new Run(cluster, recorder);
      List<Kill> kills = run.killLeaders(Duration.ofSeconds(40));
      List<Op> history = run.finish();

      report("planted bug", history, kills, run.workload);
      LinearizabilityChecker.Result result = new LinearizabilityChecker().check(history);
      System.out.println("checker verdict with the planted bug:\n" + summary(result));
      assertThat(result.linearizable())
          .as("the checker must catch stale reads served from a local replica")
          .isFalse();
    }
  }

  @Test
  void leaderDiskFull_groupMovesOn_noAcknowledgedWriteIsLost_andTheNodeRecoversWhenSpaceIsFreed()
      throws Exception {
    // Every node's data directory is a small tmpfs of its own, so one node's disk can be filled.
    Path where = clusterDir();
    try (Disks disks = Disks.mount(where, NODES);
        StrongCluster cluster = start(where, List.of());
        History.Recorder recorder = new History.Recorder(historyFile("disk-full"))) {
      Run run = new Run(cluster, recorder);
      run.pause(Duration.ofSeconds(5));
      String key = StrongWorkload.key(0);
      int group = Placement.groupIndex(key, GROUPS);
      String leaderId = awaitLeader(cluster, group);
      int leader = cluster.indexOf(leaderId);
      long filledAt = run.workload.now();
      Path filler = disks.of(leader).fillUp("filler");
      // The probe writes a key of its own in the group: its writes to the stuck leader end in
      // 504s, and many writes of unknown outcome to one checked key would make the check of that
      // key's history search too long.
      List<Kill> stalls = new ArrayList<>();
      Thread probe =
          run.probe(
              0,
              keyInGroup("probe-", group),
              run.servingOtherThan(leader),
              filledAt,
              stalls,
              leaderId,
              group,
              false);
      // Small writes fit in the space the log and LMDB have already: large ones need more.
      BulkWrites bulk = new BulkWrites(cluster, run.workload, run.servingOtherThan(leader), group);
      bulk.start();
      watchRoles(run, cluster, leader, "disk full");
      probe.join(StrongWorkload.REQUEST_TIMEOUT.toMillis());
      assertThat(cluster.get(leader, "/health").status())
          .as("the node with the full disk still serves")
          .isEqualTo(200);

      bulk.join();
      System.out.println("bulk writes during the full disk: " + bulk.summary());
      Files.delete(filler);
      watchRoles(run, cluster, leader, "space freed");
      List<Op> history = run.finish();

      report("leader's disk full", history, stalls, run.workload, "full disk");
      LinearizabilityChecker.Result result = new LinearizabilityChecker().check(history);
      assertThat(result.linearizable()).as("linearizable:%n%s", result).isTrue();
      assertNoAcknowledgedWriteLost(history);
      bulk.assertAcknowledgedReadBack();
      // The replica whose disk filled has caught up: every group runs on it again, and its local
      // (stale) reads show what the linearizable ones do.
      await("every group running on " + leaderId)
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () ->
                  assertThat(roles(cluster, leader))
                      .doesNotContain("none", "closed", "recovering", "unknown"));
      List<String> keys = new ArrayList<>(bulk.keys());
      for (int k = 0; k < KEYS; k++) {
        keys.add(StrongWorkload.key(k));
      }
      for (String each : keys) {
        awaitReplicaAgrees(cluster, leader, each);
      }
    }
  }

  /** Runs the workload for 20 s, printing the roles of {@code node}'s groups when they change. */
  private static void watchRoles(Run run, StrongCluster cluster, int node, String phase)
      throws InterruptedException {
    String shown = "";
    for (int second = 1; second <= 20; second++) {
      run.pause(Duration.ofSeconds(1));
      String roles = roles(cluster, node);
      if (!roles.equals(shown)) {
        System.out.printf("%s %2d s: %s groups %s%n", phase, second, cluster.id(node), roles);
        shown = roles;
      }
    }
  }

  private static void awaitReplicaAgrees(StrongCluster cluster, int node, String key) {
    String expected = shown(cluster.get((node + 1) % cluster.size(), "/v1/strong/" + key));
    await("the local replica of " + key + " on " + cluster.id(node))
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(shown(cluster.get(node, "/v1/strong/" + key + "?consistency=stale")))
                    .isEqualTo(expected));
  }

  /** A read's status, ETag and body; the body by its length and hash (values run to 256 KiB). */
  private static String shown(Reply read) {
    byte[] body = read.body();
    return read.status()
        + " "
        + read.headers().get("etag")
        + " "
        + body.length
        + " bytes #"
        + Integer.toHexString(Arrays.hashCode(body));
  }

  /**
   * Large writes (256 KiB) to keys of one group through one node, one at a time, for a while: each
   * needs new space in the Raft log and in LMDB. Not part of the checked history (their values are
   * not unique per key), but every acknowledged one must be read back at the end.
   */
  private static final class BulkWrites extends Thread {
    private static final int VALUE_BYTES = 256 << 10;
    private static final int WRITES = 24;
    private final StrongCluster cluster;
    private final StrongWorkload workload;
    private final int via;
    private final List<String> keys = new ArrayList<>();
    private final Map<String, String> acknowledged = new TreeMap<>();
    private final Map<Integer, Integer> statuses = new TreeMap<>();

    BulkWrites(StrongCluster cluster, StrongWorkload workload, int via, int group) {
      super("strong-bulk-writes");
      setDaemon(true);
      this.cluster = cluster;
      this.workload = workload;
      this.via = via;
      for (int i = 0; keys.size() < 4; i++) {
        keys.add(keyInGroup("bulk-" + i + "-", group));
      }
    }

    @Override
    public void run() {
      HttpClient http = cluster.client();
      for (int i = 0; i < WRITES; i++) {
        String key = keys.get(i % keys.size());
        String value = Character.toString('a' + i % 26).repeat(VALUE_BYTES);
        Op op = workload.write(http, "bulk", via, key, value, 0);
        synchronized (this) {
          statuses.merge(op.status(), 1, Integer::sum);
          if (op.outcome() == Outcome.OK) {
            acknowledged.put(key, value);
          } else {
            acknowledged.remove(key); // outcome unknown: any later value is fine
          }
        }
        LockSupport.parkNanos(500_000_000L);
      }
    }

    List<String> keys() {
      return keys;
    }

    synchronized String summary() {
      return "statuses " + statuses + ", keys " + keys;
    }

    /** Every key's last acknowledged value, read linearizably through every node. */
    synchronized void assertAcknowledgedReadBack() {
      acknowledged.forEach(
          (key, value) -> {
            for (int node = 0; node < cluster.size(); node++) {
              Reply read = cluster.get(node, "/v1/strong/" + key);
              assertThat(read.status())
                  .as("read of %s through %s", key, cluster.id(node))
                  .isEqualTo(200);
              assertThat(new String(read.body(), UTF_8))
                  .as("value of %s through %s", key, cluster.id(node))
                  .isEqualTo(value);
            }
          });
    }
  }

  /** The first key {@code prefix + n} that falls into Raft group {@code group}. */
  private static String keyInGroup(String prefix, int group) {
    for (int n = 0; ; n++) {
      if (Placement.groupIndex(prefix + n, GROUPS) == group) {
        return prefix + n;
      }
    }
  }

  private static String roles(StrongCluster cluster, int node) {
    try {
      List<String> roles = new ArrayList<>();
      cluster.groups(node).forEach(g -> roles.add(((JsonObject) g).getString("role")));
      return roles.toString();
    } catch (RuntimeException e) {
      return "unknown (" + e + ")";
    }
  }

  /** A tmpfs per node, mounted over each node's data directory before the cluster starts. */
  private record Disks(List<Tmpfs> mounted) implements AutoCloseable {
    private static final int MEGABYTES = 48;

    static Disks mount(Path where, int nodes) throws IOException {
      List<Tmpfs> mounted = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        mounted.add(Tmpfs.mount(where.resolve("data").resolve("n" + (i + 1)), MEGABYTES));
      }
      return new Disks(mounted);
    }

    Tmpfs of(int node) {
      return mounted.get(node);
    }

    @Override
    public void close() throws IOException {
      for (Tmpfs disk : mounted) {
        disk.close();
      }
    }
  }

  // ---- the run -----------------------------------------------------------------------------

  /**
   * A leader kill: when (workload clock), whom, which group it led, when writes resumed, and the
   * probe's failed writes before that (status and how long each took), which tell a slow election
   * from a request that waited out its deadline.
   */
  record Kill(
      long atNanos,
      String node,
      int group,
      OptionalLong resumedAfterMillis,
      List<String> failedAttempts) {}

  /** A workload running against a cluster, with the faults applied to it. */
  private static final class Run {
    final StrongCluster cluster;
    final History.Recorder recorder;
    final long origin = System.nanoTime();
    final StrongWorkload workload;

    Run(StrongCluster cluster, History.Recorder recorder) {
      this.cluster = cluster;
      this.recorder = recorder;
      this.workload = new StrongWorkload(cluster, recorder, KEYS, origin);
      workload.start(CLIENTS, 42);
    }

    /**
     * Kills the leader of a group every ten seconds and restarts it five seconds later. Right after
     * each kill a probe writes to a key of that group through a surviving node until a write
     * succeeds (its writes are part of the history): that is when writes resumed.
     */
    List<Kill> killLeaders(Duration length) throws Exception {
      List<Kill> kills = new ArrayList<>();
      long end = System.nanoTime() + length.toNanos();
      pause(Duration.ofSeconds(3));
      for (int round = 0;
          System.nanoTime() + KILL_EVERY.toNanos() <= end + 1_000_000_000L;
          round++) {
        String key = StrongWorkload.key(round % KEYS);
        int group = Placement.groupIndex(key, GROUPS);
        String leaderId = awaitLeader(cluster, group);
        int leader = cluster.indexOf(leaderId);
        long at = workload.now();
        cluster.kill9(leader);
        Thread probe = probe(round, key, servingOtherThan(leader), at, kills, leaderId, group);
        pause(RESTART_AFTER);
        cluster.restart(leader);
        pause(KILL_EVERY.minus(RESTART_AFTER));
        probe.join(StrongWorkload.REQUEST_TIMEOUT.toMillis());
      }
      long left = end - System.nanoTime();
      if (left > 0) {
        TimeUnit.NANOSECONDS.sleep(left);
      }
      return kills;
    }

    Thread probe(
        int round, String key, int via, long killedAt, List<Kill> kills, String victim, int group) {
      return probe(round, key, via, killedAt, kills, victim, group, true);
    }

    /**
     * @param recorded whether the probe's writes go into the checked history (they do when the
     *     probe writes a workload key)
     */
    Thread probe(
        int round,
        String key,
        int via,
        long killedAt,
        List<Kill> kills,
        String victim,
        int group,
        boolean recorded) {
      Thread probe =
          new Thread(
              () -> {
                HttpClient http = HttpClient.newHttpClient();
                long deadline = killedAt + KILL_EVERY.toNanos();
                OptionalLong resumed = OptionalLong.empty();
                List<String> failed = new ArrayList<>();
                for (int attempt = 0; workload.now() < deadline; attempt++) {
                  Op op =
                      workload.write(http, "probe", via, key, "probe-" + round + "-" + attempt, 0);
                  if (recorded) {
                    recorder.record(op);
                  }
                  if (op.outcome() == Outcome.OK) {
                    resumed = OptionalLong.of((op.ret() - killedAt) / 1_000_000);
                    break;
                  }
                  failed.add(op.status() + " in " + (op.ret() - op.call()) / 1_000_000 + " ms");
                  LockSupport.parkNanos(20_000_000);
                }
                synchronized (kills) {
                  kills.add(new Kill(killedAt, victim, group, resumed, failed));
                }
              },
              "strong-probe-" + round);
      probe.setDaemon(true);
      probe.start();
      return probe;
    }

    /** A node other than {@code excluded} that answers {@code /health} now. */
    int servingOtherThan(int excluded) {
      for (int i = 0; i < cluster.size(); i++) {
        if (i != excluded) {
          try {
            if (cluster.get(i, "/health").status() == 200) {
              return i;
            }
          } catch (RuntimeException e) {
            // not serving
          }
        }
      }
      return (excluded + 1) % cluster.size();
    }

    void pause(Duration duration) throws InterruptedException {
      // Paces the fault schedule; the workload runs meanwhile.
      TimeUnit.MILLISECONDS.sleep(duration.toMillis());
    }

    /**
     * Stops the workload, brings every node back, and reads every key once more through each node
     * (recorded in the history).
     */
    List<Op> finish() throws Exception {
      try {
        return finishUnguarded();
      } catch (Exception | AssertionError e) {
        e.addSuppressed(cluster.logsAsFailure());
        throw e;
      }
    }

    private List<Op> finishUnguarded() throws Exception {
      workload.close();
      for (int i = 0; i < cluster.size(); i++) {
        if (cluster.isPaused(i)) {
          cluster.sigcont(i);
        }
        if (!cluster.isRunning(i)) {
          cluster.restart(i);
        }
      }
      cluster.awaitHealthy();
      cluster.awaitLeaders();
      HttpClient http = cluster.client();
      for (int k = 0; k < KEYS; k++) {
        String key = StrongWorkload.key(k);
        for (int node = 0; node < cluster.size(); node++) {
          int target = node;
          Op[] read = new Op[1];
          await("final read of " + key + " through " + cluster.id(target))
              .atMost(Duration.ofSeconds(60))
              .until(
                  () -> {
                    read[0] = workload.read(http, "final", target, key);
                    return read[0].outcome() == Outcome.OK;
                  });
          recorder.record(read[0]);
        }
      }
      return recorder.ops();
    }
  }

  /** Where a test's history goes: {@code target/strong-it/}, kept for inspection after the run. */
  private static Path historyFile(String name) throws IOException {
    Path directory = Path.of("target", "strong-it");
    Files.createDirectories(directory);
    return directory.resolve("history-" + name + ".jsonl");
  }

  /**
   * Starts the cluster; {@code -Dmeridian.it.jvmOptions="..."} adds JVM options to every node (say,
   * a logback configuration that shows Ratis elections), {@code -Dmeridian.it.dir=DIR} keeps the
   * nodes' data and logs under DIR.
   */
  private StrongCluster start(List<String> jvmOptions) throws Exception {
    return start(clusterDir(), jvmOptions);
  }

  private StrongCluster start(Path where, List<String> jvmOptions) throws Exception {
    // Three node JVMs and this one share two cores here: a restarting JVM's JIT and GC threads
    // starve the others long enough to cost leaders their leadership. C1 only and the serial
    // collector keep those bursts small (test environment only).
    List<String> options = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    options.addAll(jvmOptions);
    String extra = System.getProperty("meridian.it.jvmOptions", "").trim();
    if (!extra.isEmpty()) {
      options.addAll(List.of(extra.split("\\s+")));
    }
    return StrongCluster.start(
        where,
        NODES,
        options,
        "raft.electionTimeoutMs=" + ELECTION_TIMEOUT_MS,
        "raft.groups=" + GROUPS);
  }

  private Path clusterDir() {
    String keep = System.getProperty("meridian.it.dir", "").trim();
    return keep.isEmpty()
        ? dir.resolve("cluster")
        : Path.of(keep).resolve("strong-" + System.nanoTime());
  }

  private static String awaitLeader(StrongCluster cluster, int group) {
    String[] leader = new String[1];
    await("a leader of group " + group)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              leader[0] = cluster.leaderOf(group).orElse(null);
              return leader[0] != null;
            });
    return leader[0];
  }

  /** The final reads show, for every key, a revision at least that of every acknowledged write. */
  static void assertNoAcknowledgedWriteLost(List<Op> history) {
    Map<String, Long> acknowledged = new TreeMap<>();
    Map<String, Long> finalRead = new TreeMap<>();
    for (Op op : history) {
      if (op.outcome() != Outcome.OK || op.status() != 200) {
        continue;
      }
      if (op.process().equals("final")) {
        finalRead.merge(op.key(), op.revision(), Math::min);
      } else if (op.kind() != Kind.READ) {
        acknowledged.merge(op.key(), op.revision(), Math::max);
      }
    }
    acknowledged.forEach(
        (key, revision) ->
            assertThat(finalRead.getOrDefault(key, 0L))
                .as("final revision of %s (every node) vs its last acknowledged write", key)
                .isGreaterThanOrEqualTo(revision));
  }

  /**
   * Prints what happened: counts by outcome and, per kill, how soon writes to its group resumed.
   */
  private static void report(
      String name, List<Op> history, List<Kill> kills, StrongWorkload workload) {
    report(name, history, kills, workload, "kill -9");
  }

  /**
   * @param fault what was done to the node of each {@link Kill} ("kill -9", "full disk")
   */
  private static void report(
      String name, List<Op> history, List<Kill> kills, StrongWorkload workload, String fault) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Op op : history) {
      String bucket =
          op.kind().name().toLowerCase()
              + " "
              + (op.outcome() == Outcome.OK
                  ? Integer.toString(op.status())
                  : op.outcome().name().toLowerCase());
      counts.merge(bucket, 1, Integer::sum);
    }
    StringBuilder text = new StringBuilder();
    text.append("== ")
        .append(name)
        .append(": ")
        .append(history.size())
        .append(" operations ")
        .append(counts)
        .append('\n');
    long maxElectionMs = 2 * ELECTION_TIMEOUT_MS;
    for (Kill kill : kills) {
      OptionalLong resumed = kill.resumedAfterMillis();
      text.append(
          String.format(
              "   %s of %s (leader of group %d) at %.1f s: writes to the group resumed after %s"
                  + " (bound: 2 x max election timeout = %d ms)%s%n",
              fault,
              kill.node(),
              kill.group(),
              kill.atNanos() / 1e9,
              resumed.isPresent() ? resumed.getAsLong() + " ms" : "more than 10 s",
              2 * maxElectionMs,
              failedAttempts(kill.failedAttempts())));
    }
    text.append("   unexpected answers: ").append(workload.unexpected()).append('\n');
    workload
        .timeoutCauses()
        .forEach(
            (cause, count) ->
                text.append("   504 x ").append(count).append(": ").append(cause).append('\n'));
    System.out.print(text);
  }

  /** The first few failed probe writes, e.g. {@code ; failed before: 503 in 12 ms, ...}. */
  private static String failedAttempts(List<String> failed) {
    if (failed.isEmpty()) {
      return "";
    }
    int shown = Math.min(4, failed.size());
    return "; failed before: "
        + String.join(", ", failed.subList(0, shown))
        + (failed.size() > shown ? " and " + (failed.size() - shown) + " more" : "");
  }

  private static String summary(LinearizabilityChecker.Result result) {
    StringBuilder text = new StringBuilder();
    result
        .keys()
        .values()
        .forEach(
            k -> text.append("  ").append(k.key()).append(": ").append(k.verdict()).append('\n'));
    result.failures().stream().limit(1).forEach(k -> text.append(k.explanation()));
    return text.toString();
  }
}
