package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region of three real node processes (n=3, w=2, r=2) under faults: kill -9 and restarts, SIGSTOP
 * pauses, a replica down, and a fault-free baseline for the failure detector. Each test forms its
 * own cluster in a fresh directory; a failure reports the tails of the node logs.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class RegionClusterIT {
  private static final int LOAD_THREADS = 6;
  private static final int COUNTERS = 6;
  private static final int SETS = 6;
  private static final Duration FAULT_INTERVAL = Duration.ofSeconds(10);
  private static final Duration DOWN_TIME = Duration.ofSeconds(5);
  private static final Duration PAUSE = Duration.ofSeconds(15);
  private static final Duration QUIET_LOAD = Duration.ofSeconds(60);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @RegisterExtension final ProcessCluster.LogsOnFailure logs = new ProcessCluster.LogsOnFailure();

  @Test
  void killNine_replicaEveryTenSeconds_losesNoAcknowledgedWrite() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3));
        WriteLoad load = WriteLoad.start(cluster, LOAD_THREADS, COUNTERS, SETS)) {
      awaitProgress(load, FAULT_INTERVAL);
      for (int victim = 0; victim < cluster.size(); victim++) {
        long before = load.acknowledged();
        cluster.kill9(victim);
        int killed = victim;
        // Down for DOWN_TIME at least, and until a surviving node has noticed, so that the writes
        // in between are hinted rather than merely slow.
        await(cluster.id(victim) + " noticed as not up")
            .pollDelay(DOWN_TIME)
            .atMost(Duration.ofMinutes(1))
            .until(() -> cluster.viewsOf(killed).values().stream().anyMatch(s -> !"up".equals(s)));
        cluster.restart(victim);
        awaitProgress(load, FAULT_INTERVAL.minus(DOWN_TIME), before);
      }

      for (int i = 0; i < cluster.size(); i++) {
        cluster.kill9(i);
      }
      await("every node down")
          .pollDelay(DOWN_TIME)
          .atMost(DOWN_TIME.plusSeconds(5))
          .until(() -> !cluster.isRunning(0) && !cluster.isRunning(1) && !cluster.isRunning(2));
      for (int i = 0; i < cluster.size(); i++) {
        cluster.restart(i);
      }
      cluster.awaitHealthy();
      cluster.awaitAllUp();
      awaitProgress(load, Duration.ZERO);
      load.stop();

      cluster.awaitAllUp();
      cluster.awaitHintsDrained();
      load.readEveryKeyWithConsistencyAll();
      load.awaitReplicasAgree();
      load.assertNoAcknowledgedWriteLost();
      assertThat(load.unexpected()).as("unexpected answers (%s)", load.summary()).isEmpty();
      System.out.println("killNine: " + load.summary() + "; hints: " + cluster.hintsReport());
    }
  }

  @Test
  void sigstop_replica_turnsSuspectAndHintsDrainAfterResume() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3));
        WriteLoad load = WriteLoad.start(cluster, LOAD_THREADS, COUNTERS, SETS)) {
      awaitProgress(load, Duration.ofSeconds(5));
      int paused = 2;
      String pausedId = cluster.id(paused);
      long ackedViaOthers = load.acknowledgedVia(0) + load.acknowledgedVia(1);
      long stoppedAt = System.nanoTime();
      cluster.sigstop(paused);

      List<Map<String, String>> views = new ArrayList<>();
      await(pausedId + " suspect or down in another node's view while stopped")
          .atMost(PAUSE)
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                Map<String, String> view = cluster.viewsOf(paused);
                views.add(view);
                return view.values().stream()
                    .anyMatch(s -> "suspect".equals(s) || "down".equals(s));
              });
      for (int coordinator = 0; coordinator < 2; coordinator++) {
        Reply write =
            cluster.post(coordinator, "/v1/counters/probe?consistency=quorum", "{\"delta\": 1}");
        assertThat(write.status())
            .as("quorum write while %s is stopped: %s", pausedId, write)
            .isEqualTo(200);
        assertThat(write.header(Problems.REPLICAS_HEADER)).isEqualTo("2/2");
      }
      await("writes through the other nodes hinted for " + pausedId)
          .atMost(remainingOf(PAUSE, stoppedAt))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(
              () ->
                  cluster.hintsPendingFor(0, pausedId) + cluster.hintsPendingFor(1, pausedId) > 0);
      await("the load keeps being acknowledged while " + pausedId + " is stopped")
          .pollDelay(remainingOf(PAUSE, stoppedAt))
          .atMost(remainingOf(PAUSE, stoppedAt).plusSeconds(30))
          .until(() -> load.acknowledgedVia(0) + load.acknowledgedVia(1) > ackedViaOthers);
      assertThat(cluster.isRunning(paused)).isTrue();
      cluster.sigcont(paused);

      cluster.awaitAllUp();
      awaitProgress(load, Duration.ofSeconds(2));
      load.stop();
      cluster.awaitHintsDrained();
      load.awaitReplicasAgree();
      load.assertNoAcknowledgedWriteLost();
      for (int i = 0; i < cluster.size(); i++) {
        Reply probe = cluster.get(i, "/v1/counters/probe?consistency=one");
        assertThat(probe.status()).as("probe on %s: %s", cluster.id(i), probe).isEqualTo(200);
        assertThat(probe.json().getLong("value")).as("probe on %s", cluster.id(i)).isEqualTo(2);
      }
      assertThat(load.unexpected()).as("unexpected answers (%s)", load.summary()).isEmpty();
      System.out.println(
          "sigstop: "
              + load.summary()
              + "; hints: "
              + cluster.hintsReport()
              + "; views while stopped: "
              + views);
    }
  }

  @Test
  void secondNodeWithATakenId_exits2_andTheClusterKeepsTheFirst() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3))) {
      String id = cluster.id(2);
      String http = "127.0.0.1:" + cluster.uri(2, "/").getPort();
      ProcessCluster.Extra twin = cluster.startTwinOf(2);
      Signals.awaitExit(twin.process(), "a second " + id, ProcessCluster.FORMATION);
      assertThat(twin.process().exitValue())
          .as("exit code of a second %s; its log:%n%s", id, twin.node().logTail(40))
          .isEqualTo(2);
      assertThat(twin.node().logText()).contains("node.id").contains("already the id of");
      // Nothing claims its data directory for the taken id: a retry with another id can use it.
      try (Stream<Path> left = Files.list(twin.node().dataDir())) {
        assertThat(left).as("what the refused start left in its data directory").isEmpty();
      }

      // Its joining and leaving the membership must not have touched the first: long enough for
      // a departure to have been taken as the first one's (it used to be, at once).
      Thread.sleep(3_000);
      for (int i = 0; i < cluster.size(); i++) {
        assertThat(cluster.memberStatuses(i))
            .as("members as %s sees them", cluster.id(i))
            .containsEntry(id, "up");
        JsonObject member =
            cluster.status(i).getJsonArray("members").stream()
                .map(JsonObject.class::cast)
                .filter(m -> m.getString("id").equals(id))
                .findFirst()
                .orElseThrow();
        assertThat(member.getString("http"))
            .as("%s as %s sees it", id, cluster.id(i))
            .isEqualTo(http);
      }
      Reply all = cluster.post(2, "/v1/counters/twin?consistency=all", "{\"delta\": 1}");
      assertThat(all.status()).as("a write to all three replicas: %s", all).isEqualTo(200);
    }
  }

  @Test
  void oneOfThreeDown_quorumSucceeds_allAnswers503AndWritesNothing() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3))) {
      assertThat(cluster.post(0, "/v1/counters/q", "{\"delta\": 5}").status()).isEqualTo(200);
      assertThat(cluster.post(1, "/v1/sets/s", "{\"add\": [\"before\"]}").status()).isEqualTo(200);
      cluster.kill9(2);
      cluster.awaitSeenNotUp(2, Duration.ofSeconds(60));
      String down = cluster.id(2);
      long hintsBefore = cluster.hintsPendingFor(0, down) + cluster.hintsPendingFor(1, down);

      Reply write = cluster.post(0, "/v1/counters/q?consistency=quorum", "{\"delta\": 1}");
      assertThat(write.status()).as("quorum write: %s", write).isEqualTo(200);
      assertThat(write.header(Problems.REPLICAS_HEADER)).isEqualTo("2/2");
      assertThat(write.json().getLong("value")).isEqualTo(6);
      Reply defaultWrite = cluster.post(1, "/v1/sets/s", "{\"add\": [\"quorum\"]}");
      assertThat(defaultWrite.status()).as("default (w=2) write: %s", defaultWrite).isEqualTo(200);
      assertThat(defaultWrite.header(Problems.REPLICAS_HEADER)).isEqualTo("2/2");
      Reply read = cluster.get(1, "/v1/counters/q?consistency=quorum");
      assertThat(read.status()).as("quorum read: %s", read).isEqualTo(200);
      assertThat(read.header(Problems.REPLICAS_HEADER)).isEqualTo("2/2");
      assertThat(read.json().getLong("value")).isEqualTo(6);
      Reply explained = cluster.get(1, "/v1/counters/q?explain=true");
      assertThat(explained.status()).as("explain: %s", explained).isEqualTo(200);
      assertThat(explained.header(Problems.REPLICAS_HEADER))
          .as("the copies that answered of the key's 3 replicas")
          .isEqualTo("2/3");
      assertThat(explained.json().getJsonArray("replicas")).hasSize(2);
      long hintsAfterQuorumWrites =
          cluster.hintsPendingFor(0, down) + cluster.hintsPendingFor(1, down);
      assertThat(hintsAfterQuorumWrites)
          .as("hints for %s after two quorum writes", down)
          .isEqualTo(hintsBefore + 2);

      Reply allCounter = cluster.post(0, "/v1/counters/q?consistency=all", "{\"delta\": 100}");
      assertProblem(allCounter, 503, "unavailable");
      assertThat(allCounter.header("Retry-After")).as("Retry-After of %s", allCounter).isNotBlank();
      assertThat(allCounter.header(Problems.REPLICAS_HEADER)).endsWith("/3");
      Reply allSet = cluster.post(1, "/v1/sets/s?consistency=all", "{\"add\": [\"never\"]}");
      assertProblem(allSet, 503, "unavailable");
      assertThat(allSet.header("Retry-After")).as("Retry-After of %s", allSet).isNotBlank();

      for (int i = 0; i < 2; i++) {
        for (String consistency : List.of("quorum", "one")) {
          Reply counter = cluster.get(i, "/v1/counters/q?consistency=" + consistency);
          assertThat(counter.json().getLong("value"))
              .as("q with consistency=%s on %s", consistency, cluster.id(i))
              .isEqualTo(6);
          Reply set = cluster.get(i, "/v1/sets/s?consistency=" + consistency);
          assertThat(set.json().getJsonArray("elements").getList())
              .as("s with consistency=%s on %s", consistency, cluster.id(i))
              .containsExactly("before", "quorum");
        }
      }
      assertThat(cluster.hintsPendingFor(0, down) + cluster.hintsPendingFor(1, down))
          .as("hints for %s after the refused writes", down)
          .isEqualTo(hintsAfterQuorumWrites);

      for (String path : List.of("/v1/counters/q", "/v1/sets/s")) {
        Reply allRead = cluster.get(1, path + "?consistency=all");
        assertProblem(allRead, 503, "unavailable");
        assertThat(allRead.header("Retry-After")).as("Retry-After of %s", allRead).isNotBlank();
      }
    }
  }

  @Test
  void noFaults_sixtySecondsOfLoad_noMemberEverSuspected() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3));
        WriteLoad load = WriteLoad.start(cluster, LOAD_THREADS, COUNTERS, SETS)) {
      List<String> notUp = new ArrayList<>();
      long started = System.nanoTime();
      await("every node's view sampled for " + QUIET_LOAD)
          .during(QUIET_LOAD)
          .atMost(QUIET_LOAD.plusSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                notUp.addAll(membersNotUp(cluster, started));
                return true;
              });
      load.stop();

      assertThat(notUp)
          .as("members reported suspect or down under load (%s)", load.summary())
          .isEmpty();
      assertThat(load.acknowledged()).isPositive();
      assertThat(load.notWritten()).as("writes refused (%s)", load.summary()).isZero();
      assertThat(load.unexpected()).as("unexpected answers (%s)", load.summary()).isEmpty();
      cluster.awaitHintsDrained();
      load.awaitReplicasAgree();
      load.assertNoAcknowledgedWriteLost();
      System.out.println("noFaults: " + load.summary());
    }
  }

  /** Every member that a node reports other than up, or a node that cannot report. */
  private static List<String> membersNotUp(ProcessCluster cluster, long startedNanos) {
    List<String> notUp = new ArrayList<>();
    long second = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
    for (int i = 0; i < cluster.size(); i++) {
      String observer = cluster.id(i);
      try {
        for (Object m : cluster.status(i).getJsonArray("members")) {
          JsonObject member = (JsonObject) m;
          if (!"up".equals(member.getString("status"))) {
            notUp.add("at " + second + " s " + observer + " saw " + member.encode());
          }
        }
      } catch (RuntimeException e) {
        notUp.add("at " + second + " s " + observer + " did not answer: " + e);
      }
    }
    return notUp;
  }

  /** Waits at least {@code atLeast}, and until the load has had a write acknowledged since. */
  private static void awaitProgress(WriteLoad load, Duration atLeast) {
    awaitProgress(load, atLeast, load.acknowledged());
  }

  private static void awaitProgress(WriteLoad load, Duration atLeast, long acknowledgedBefore) {
    await("a write acknowledged (" + load.summary() + ")")
        .pollDelay(atLeast)
        .atMost(atLeast.plus(ProcessCluster.FORMATION))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> load.acknowledged() > acknowledgedBefore);
  }

  /** What is left of {@code period} started at {@code startedNanos}; at least 100 ms. */
  private static Duration remainingOf(Duration period, long startedNanos) {
    Duration left = period.minusNanos(System.nanoTime() - startedNanos);
    return left.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : left;
  }
}
