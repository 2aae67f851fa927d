package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.replication.strong.History;
import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import io.meridian.replication.strong.LinearizabilityChecker;
import io.meridian.replication.strong.Placement;
import io.meridian.replication.strong.RatisStrongKeys;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

    private Thread probe(
        int round, String key, int via, long killedAt, List<Kill> kills, String victim, int group) {
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
                  recorder.record(op);
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
    private int servingOtherThan(int excluded) {
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
  private static Path historyFile(String name) throws java.io.IOException {
    Path directory = Path.of("target", "strong-it");
    java.nio.file.Files.createDirectories(directory);
    return directory.resolve("history-" + name + ".jsonl");
  }

  /**
   * Starts the cluster; {@code -Dmeridian.it.jvmOptions="..."} adds JVM options to every node (say,
   * a logback configuration that shows Ratis elections), {@code -Dmeridian.it.dir=DIR} keeps the
   * nodes' data and logs under DIR.
   */
  private StrongCluster start(List<String> jvmOptions) throws Exception {
    // Three node JVMs and this one share two cores here: a restarting JVM's JIT and GC threads
    // starve the others long enough to cost leaders their leadership. C1 only and the serial
    // collector keep those bursts small (test environment only).
    List<String> options = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    options.addAll(jvmOptions);
    String extra = System.getProperty("meridian.it.jvmOptions", "").trim();
    if (!extra.isEmpty()) {
      options.addAll(List.of(extra.split("\\s+")));
    }
    String keep = System.getProperty("meridian.it.dir", "").trim();
    Path where =
        keep.isEmpty()
            ? dir.resolve("cluster")
            : Path.of(keep).resolve("strong-" + System.nanoTime());
    return StrongCluster.start(
        where,
        NODES,
        options,
        "raft.electionTimeoutMs=" + ELECTION_TIMEOUT_MS,
        "raft.groups=" + GROUPS);
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
              "   kill -9 of %s (leader of group %d) at %.1f s: writes to the group resumed after %s"
                  + " (bound: 2 x max election timeout = %d ms)%s%n",
              kill.node(),
              kill.group(),
              kill.atNanos() / 1e9,
              resumed.isPresent() ? resumed.getAsLong() + " ms" : "more than 10 s",
              2 * maxElectionMs,
              failedAttempts(kill.failedAttempts())));
    }
    text.append("   unexpected answers: ").append(workload.unexpected()).append('\n');
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
