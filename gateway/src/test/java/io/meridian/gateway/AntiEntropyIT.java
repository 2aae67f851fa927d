package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anti-entropy and membership change with real node processes (issue 4): Merkle repair after hints
 * expired, a node joining and another leaving for good under load, flipped bytes in an LMDB file, a
 * data directory that is not ours, a full disk and a full LMDB map, and a wiped data directory.
 * Each test forms its own cluster in a fresh directory; a failure reports the tails of the node
 * logs.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class AntiEntropyIT {
  private static final Duration REPAIR = Duration.ofMinutes(2);
  private static final Duration CONVERGENCE = Duration.ofMinutes(1);
  private static final Duration MEMBERSHIP_CHANGE = Duration.ofMinutes(2);
  private static final String QUARANTINED = "meridian_storage_quarantined_total";

  /** What {@code AntiEntropy} logs when a repair ends. */
  private static final Pattern REPAIR_LOG =
      Pattern.compile(
          "repair \\S+ (?:done|failed): \\d+ ranges compared, \\d+ failed, (\\d+) keys");

  /** A node that is down keeps its place on the ring for the whole test: no rebalancing. */
  private static final String NO_REBALANCE = "failureDetector.cooldownMs=600000";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @RegisterExtension final ProcessCluster.LogsOnFailure logs = new ProcessCluster.LogsOnFailure();

  @Test
  void expiredHints_repairOfRestartedReplica_restoresEveryMissedKey() throws Exception {
    int written = 1_000;
    try (ProcessCluster cluster =
        logs.watch(
            ProcessCluster.start(
                dir,
                3,
                "hints.ttlMs=5000",
                "hints.batchSize=5000", // one sweep expires them all
                "antiEntropy.intervalMs=0",
                NO_REBALANCE))) {
      int down = 2;
      String downId = cluster.id(down);
      cluster.kill9(down);
      cluster.awaitSeenNotUp(down, Duration.ofMinutes(1));
      CounterBatch missed = CounterBatch.write(cluster, List.of(0, 1), "m", written, "quorum");
      int acknowledged = missed.acknowledged().size();
      assertThat(acknowledged).as("quorum writes acknowledged with %s down", downId).isPositive();
      await("the hints for " + downId + " expired on both other nodes")
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () ->
                  cluster.hintsPendingFor(0, downId) + cluster.hintsPendingFor(1, downId) == 0
                      && expiredHints(cluster, 0) + expiredHints(cluster, 1) >= acknowledged);

      List<Integer> logMarks = List.of(cluster.log(0).length(), cluster.log(1).length());
      cluster.restart(down);
      cluster.awaitHealthy();
      cluster.awaitAllUp();
      JsonObject repair = Repairs.run(cluster, down, "", REPAIR);
      assertRepairDone(repair);

      missed.awaitCopiesOn(down, path -> true);
      for (int other = 0; other < 2; other++) {
        assertThat(missed.copiesOn(other, path -> true))
            .as("the copies of %s", cluster.id(other))
            .isEqualTo(missed.expected(path -> true));
      }
      // Repairs that n1 and n2 start by themselves (on hint expiry, then retrying every 30 s while
      // n3 is down) may get to some keys first. A key is counted by every repair that finds it
      // differing, and found twice by one repair if it differs from both peers.
      long byOthers = 0;
      for (int other = 0; other < 2; other++) {
        byOthers += keysRepairedInLog(cluster.log(other).substring(logMarks.get(other)));
      }
      long keysRepaired = repair.getLong("keysRepaired");
      System.out.printf(
          "expiredHints: %d keys written with %s down (%d acknowledged, unknown: %s); repair on %s"
              + " %s; keys repaired by n1 and n2 since the restart: %d%n",
          written, downId, acknowledged, missed.uncertain(), downId, repair.encode(), byOthers);
      assertThat(keysRepaired + byOthers)
          .as("keys repaired on %s (%d) and by the others (%d)", downId, keysRepaired, byOthers)
          .isGreaterThanOrEqualTo(acknowledged);
      assertThat(keysRepaired)
          .as("keys repaired on %s: each missed key at most once per peer", downId)
          .isLessThanOrEqualTo(2L * written);
    }
  }

  @Test
  void fourthNodeJoins_thenAnOriginalNodeDiesPastCooldown_losesNoAcknowledgedWrite()
      throws Exception {
    try (ProcessCluster cluster =
            logs.watch(ProcessCluster.start(dir, 3, "failureDetector.cooldownMs=10000"));
        WriteLoad load = WriteLoad.start(cluster, 4, 8, 8)) {
      CounterBatch cold = CounterBatch.write(cluster, List.of(0, 1, 2), "cold", 100, "all");
      assertThat(cold.acknowledged()).as("cold writes before the join").isNotEmpty();
      List<String> sample = new ArrayList<>(load.paths());
      sample.addAll(cold.acknowledged().keySet());
      awaitAcknowledged(load, Duration.ofSeconds(3));

      int joined = cluster.addNode();
      String joinedId = cluster.id(joined);
      cluster.awaitHealthy();
      cluster.awaitAllUp();
      Map<String, List<String>> ring =
          Rings.awaitAgree(cluster, sample, Set.of("n1", "n2", "n3", "n4"), MEMBERSHIP_CHANGE);
      assertThat(cold.expected(path -> ring.get(path).contains(joinedId)))
          .as("cold keys %s replicates", joinedId)
          .isNotEmpty();
      cold.awaitCopiesOn(joined, path -> ring.get(path).contains(joinedId));
      load.awaitCopyHoldsAcknowledged(joined, path -> ring.get(path).contains(joinedId));

      int victim = 0;
      String victimId = cluster.id(victim);
      List<Integer> survivors = List.of(1, 2, 3);
      Map<Integer, Long> ackedVia = new LinkedHashMap<>();
      survivors.forEach(i -> ackedVia.put(i, load.acknowledgedVia(i)));
      long killedAt = System.nanoTime();
      cluster.kill9(victim);
      await(victimId + " off the ring of every other node")
          .atMost(MEMBERSHIP_CHANGE)
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                for (int i : survivors) {
                  assertThat(Rings.inRing(cluster, i, victimId))
                      .as("%s in the ring of %s", victimId, cluster.id(i))
                      .isFalse();
                }
              });
      long offRingSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt);
      for (int i : survivors) {
        assertThat(load.acknowledgedVia(i))
            .as(
                "writes acknowledged by %s while %s was leaving (%s)",
                cluster.id(i), victimId, load.summary())
            .isGreaterThan(ackedVia.get(i));
      }
      Rings.awaitAgree(cluster, sample, Set.of("n2", "n3", "n4"), MEMBERSHIP_CHANGE);
      for (int i : survivors) {
        assertQuorumWriteSucceeds(cluster, i);
        cold.awaitCopiesOn(i, path -> true);
      }
      awaitAcknowledged(load, Duration.ofSeconds(3));
      load.stop();

      load.readEveryKeyWithConsistencyAll();
      load.awaitReplicasAgree();
      load.assertNoAcknowledgedWriteLost();
      assertThat(load.unexpected()).as("unexpected answers (%s)", load.summary()).isEmpty();
      System.out.printf(
          "joinThenDeath: %s off every ring %d s after kill -9; %s; hints: %s%n",
          victimId, offRingSeconds, load.summary(), cluster.hintsReport());
    }
  }

  @Test
  void flippedBytesInAValue_quarantinedAndRestoredFromPeers_neverServed() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3))) {
      String marker = marker();
      Reply put = putRegister(cluster, 0, "victim", marker, "all");
      assertThat(put.status()).as("PUT victim: %s", put).isEqualTo(200);
      CounterBatch intact = CounterBatch.write(cluster, List.of(0, 1, 2), "k", 50, "all");
      int node = 2;
      assertThat(cluster.stop(node)).as("exit code of %s after SIGTERM", cluster.id(node)).isZero();
      assertThat(flip(cluster.dataDir(node), marker))
          .as("copies of the value flipped")
          .isPositive();

      cluster.restart(node);
      cluster.awaitHealthy();
      List<String> answers = awaitCorrectValue(cluster, node, "victim", marker);
      System.out.println(
          "corruption: answers of " + cluster.id(node) + " while restoring: " + answers);
      assertThat(cluster.metric(node, QUARANTINED)).as(QUARANTINED).isGreaterThanOrEqualTo(1);
      assertThat(intact.copiesOn(node, path -> true)).isEqualTo(intact.expected(path -> true));
      Reply overwrite = putRegister(cluster, node, "victim", "after", "all");
      assertThat(overwrite.status()).as("PUT after the restore: %s", overwrite).isEqualTo(200);
      assertThat(answers)
          .as("answers while restoring: the correct value, or a 5xx problem")
          .allMatch(answer -> answer.startsWith("5") || answer.startsWith("200 correct"));
    }
  }

  @Test
  void flippedBytesInAValue_singleNode_neverServed() throws Exception {
    try (ProcessCluster node = logs.watch(ProcessCluster.standalone(dir))) {
      node.startNode(0);
      node.awaitHealthy();
      String marker = marker();
      assertThat(putRegister(node, 0, "victim", marker, "one").status()).isEqualTo(200);
      assertThat(putRegister(node, 0, "intact", "intact", "one").status()).isEqualTo(200);
      assertThat(node.stop(0)).as("exit code after SIGTERM").isZero();
      assertThat(flip(node.dataDir(0), marker)).as("copies of the value flipped").isPositive();

      node.startNode(0);
      node.awaitHealthy();
      for (int attempt = 0; attempt < 3; attempt++) {
        // No other replica to restore from: the value is gone, but its corrupted bytes are not
        // served.
        Reply read = node.get(0, "/v1/keys/victim");
        assertThat(read.status()).as("read of the corrupted value: %s", read).isNotEqualTo(200);
        assertThat(read.header("Content-Type")).as("%s", read).startsWith(Problems.CONTENT_TYPE);
        assertThat(read.text()).doesNotContain(marker.substring(0, 16));
      }
      assertThat(node.metric(0, QUARANTINED)).as(QUARANTINED).isGreaterThanOrEqualTo(1);
      assertThat(node.get(0, "/v1/keys/intact").text()).isEqualTo("intact");
      assertThat(putRegister(node, 0, "victim", "rewritten", "one").status()).isEqualTo(200);
      assertThat(node.get(0, "/v1/keys/victim").text()).isEqualTo("rewritten");
    }
  }

  @Test
  void dataDirWithAForeignFile_refusedAtStartWithExitTwo() throws Exception {
    try (ProcessCluster node = logs.watch(ProcessCluster.standalone(dir))) {
      Files.createDirectories(node.dataDir(0));
      Files.writeString(node.dataDir(0).resolve("notes.txt"), "not a Meridian store", UTF_8);
      node.startNode(0);
      assertThat(node.awaitExitCode(0)).as("exit code; log:%n%s", node.log(0)).isEqualTo(2);
      assertThat(node.log(0)).contains("node.dataDir").contains("notes.txt");
    }
  }

  @Test
  void storeOfANewerFormat_refusedAtStartWithExitTwo() throws Exception {
    try (ProcessCluster node = logs.watch(ProcessCluster.standalone(dir))) {
      node.startNode(0);
      node.awaitHealthy();
      assertThat(putRegister(node, 0, "k", "v", "one").status()).isEqualTo(200);
      assertThat(node.stop(0)).isZero();
      assertThat(LmdbFiles.setStoreFormat(LmdbFiles.dataFile(node.dataDir(0)), 2)).isPositive();
      node.startNode(0);
      assertThat(node.awaitExitCode(0)).as("exit code; log:%n%s", node.log(0)).isEqualTo(2);
      assertThat(node.log(0)).contains("node.dataDir").contains("newer");
    }
  }

  @Test
  void diskFull_answers507StaysUpKeepsAcknowledgedWritesAndRecoversWhenSpaceIsFreed()
      throws Exception {
    // The node's data directory is data/n1: a 16 MiB tmpfs on data/ holds it and a 6 MiB filler.
    // The LMDB map is far larger than the disk, so the disk fills first.
    try (Tmpfs disk = Tmpfs.mount(dir.resolve("data"), 16);
        ProcessCluster node =
            logs.watch(ProcessCluster.standalone(dir, "storage.mapSizeMb=1024"))) {
      Path filler = disk.fill("filler", 6 << 20);
      node.startNode(0);
      node.awaitHealthy();
      RegisterFill fill = new RegisterFill(node);
      Reply full = fill.untilRefused();
      System.out.println("diskFull: " + fill.acknowledged() + " values of 16 KiB, then " + full);
      assertProblem(full, 507, "insufficient-storage");
      assertThat(fill.acknowledged()).as("values written before the disk filled").isGreaterThan(10);
      // A small write may still fit in pages LMDB freed before: it is accepted or refused alike.
      Reply small = node.post(0, "/v1/counters/c", "{\"delta\": 1}");
      if (small.status() != 200) {
        assertProblem(small, 507, "insufficient-storage");
      }
      assertThat(node.get(0, "/health").status()).isEqualTo(200);
      fill.assertReadBack();

      Files.delete(filler);
      await("a write accepted after space was freed")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> fill.put().status() == 200);
      for (int i = 0; i < 20; i++) {
        Reply more = fill.put();
        assertThat(more.status()).as("write %d after space was freed: %s", i, more).isEqualTo(200);
      }
      fill.assertReadBack();
      node.kill9(0);
      node.restart(0);
      node.awaitHealthy();
      fill.assertReadBack();
    }
  }

  @Test
  void lmdbMapFull_answers507StaysUpAndKeepsAcknowledgedWrites() throws Exception {
    try (ProcessCluster node = logs.watch(ProcessCluster.standalone(dir, "storage.mapSizeMb=16"))) {
      node.startNode(0);
      node.awaitHealthy();
      RegisterFill fill = new RegisterFill(node);
      Reply full = fill.untilRefused();
      System.out.println("mapFull: " + fill.acknowledged() + " values of 16 KiB, then " + full);
      assertProblem(full, 507, "insufficient-storage");
      assertThat(fill.acknowledged()).as("values written before the map filled").isGreaterThan(10);
      assertProblem(fill.put(), 507, "insufficient-storage");
      assertThat(node.get(0, "/health").status()).isEqualTo(200);
      assertThat(node.isRunning(0)).isTrue();
      fill.assertReadBack();
    }
  }

  @Test
  void wipedDataDir_freshReplicaIdAndRepair_losesNoAcknowledgedWrite() throws Exception {
    try (ProcessCluster cluster = logs.watch(ProcessCluster.start(dir, 3, NO_REBALANCE))) {
      CounterBatch cold = CounterBatch.write(cluster, List.of(0, 1, 2), "cold", 200, "all");
      assertThat(cold.acknowledged()).as("cold writes before the wipe").isNotEmpty();
      try (WriteLoad load = WriteLoad.start(cluster, 4, 6, 6)) {
        awaitAcknowledged(load, Duration.ofSeconds(3));
        int wiped = 2;
        String before = cluster.status(wiped).getString("replica");
        cluster.kill9(wiped);
        deleteRecursively(cluster.dataDir(wiped));
        cluster.restart(wiped);
        cluster.awaitHealthy();
        cluster.awaitAllUp();
        String after = cluster.status(wiped).getString("replica");
        assertThat(after).as("replica id after the wipe").isNotEqualTo(before).startsWith("n3.");

        JsonObject repair = Repairs.run(cluster, wiped, "", REPAIR);
        assertRepairDone(repair);
        // Only anti-entropy brings the cold keys back (they were written with consistency=all, so
        // no hints, and nothing reads them). Which repair does it varies: the wiped node also
        // starts one of its own when its ring fills with the members it sees, and a repair
        // started while another runs queues behind it. Either way, once the one started here is
        // done, every copy is back.
        cold.assertCopiesOn(wiped, path -> true);
        load.awaitCopyHoldsAcknowledged(wiped, path -> true);
        awaitAcknowledged(load, Duration.ofSeconds(3));
        load.stop();

        cluster.awaitHintsDrained();
        load.readEveryKeyWithConsistencyAll();
        load.awaitReplicasAgree();
        load.assertNoAcknowledgedWriteLost();
        assertThat(load.unexpected()).as("unexpected answers (%s)", load.summary()).isEmpty();
        System.out.printf(
            "wipe: replica %s -> %s; repair %s; %s%n",
            before, after, repair.encode(), load.summary());
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static long expiredHints(ProcessCluster cluster, int i) {
    return cluster.status(i).getJsonObject("hints").getLong("expired");
  }

  /** The sum of {@code keysRepaired} over the repairs a node logged as ended. */
  private static long keysRepairedInLog(String log) {
    long keys = 0;
    Matcher matcher = REPAIR_LOG.matcher(log);
    while (matcher.find()) {
      keys += Long.parseLong(matcher.group(1));
    }
    return keys;
  }

  private static void assertRepairDone(JsonObject repair) {
    assertThat(repair.getString("state")).as("state of %s", repair).isEqualTo("done");
    assertThat(repair.getInteger("rangesFailed")).as("rangesFailed of %s", repair).isZero();
    assertThat(repair.getInteger("rangesTotal")).as("rangesTotal of %s", repair).isPositive();
    assertThat(repair.getInteger("rangesCompared"))
        .as("rangesCompared of %s", repair)
        .isEqualTo(repair.getInteger("rangesTotal"));
  }

  /** Waits at least {@code atLeast}, and until the load has had a write acknowledged since. */
  private static void awaitAcknowledged(WriteLoad load, Duration atLeast) {
    long before = load.acknowledged();
    await("a write acknowledged (" + load.summary() + ")")
        .pollDelay(atLeast)
        .atMost(atLeast.plus(ProcessCluster.FORMATION))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> load.acknowledged() > before);
  }

  /** A quorum write through node {@code i} succeeds, retried for a while on 503 or 504. */
  private static void assertQuorumWriteSucceeds(ProcessCluster cluster, int i) {
    List<String> answers = new CopyOnWriteArrayList<>();
    await("a quorum write through " + cluster.id(i))
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              String path = "/v1/counters/probe" + answers.size() + "?consistency=quorum";
              Reply write = cluster.post(i, path, "{\"delta\": 1}");
              answers.add(write.status() + " " + write.header(Problems.REPLICAS_HEADER));
              return write.status() == 200;
            });
    assertThat(answers).as("quorum writes through %s", cluster.id(i)).endsWith("200 2/2");
  }

  /** A distinctive 64-byte value, to find in an LMDB file. */
  private static String marker() {
    StringBuilder marker = new StringBuilder("MERIDIAN-CORRUPTION-MARKER-");
    SplittableRandom random = new SplittableRandom();
    while (marker.length() < 64) {
      marker.append((char) ('a' + random.nextInt(26)));
    }
    return marker.toString();
  }

  /** Inverts 16 bytes in the middle of every copy of {@code marker} in a stopped node's store. */
  private static int flip(Path dataDir, String marker) throws IOException {
    return LmdbFiles.flip(LmdbFiles.dataFile(dataDir), marker.getBytes(UTF_8), 32, 16);
  }

  private static Reply putRegister(
      ProcessCluster cluster, int i, String key, String value, String consistency) {
    return cluster.put(
        i, "/v1/keys/" + key + "?consistency=" + consistency, value.getBytes(UTF_8), "text/plain");
  }

  /**
   * Reads a register from node {@code i}'s own copy until it answers 200 with {@code correct}, and
   * returns the answers on the way ({@code "200 correct"}, or status and problem type) as runs;
   * fails at once on a 200 with other bytes.
   */
  private static List<String> awaitCorrectValue(
      ProcessCluster cluster, int i, String key, String correct) {
    List<String> answers = new CopyOnWriteArrayList<>();
    try {
      await(key + " on " + cluster.id(i) + " restored")
          .atMost(CONVERGENCE)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                Reply read = cluster.get(i, "/v1/keys/" + key + "?consistency=one");
                if (read.status() == 200) {
                  assertThat(read.text()).as("what %s serves", cluster.id(i)).isEqualTo(correct);
                  answers.add("200 correct");
                  return true;
                }
                answers.add(read.status() + " " + read.json().getString("type"));
                return false;
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; answers: " + runs(answers), e);
    }
    return runs(answers);
  }

  /** Runs of equal answers, as {@code "<answer> x<count>"}. */
  private static List<String> runs(List<String> answers) {
    List<String> runs = new ArrayList<>();
    int start = 0;
    for (int i = 1; i <= answers.size(); i++) {
      if (i == answers.size() || !answers.get(i).equals(answers.get(start))) {
        runs.add(answers.get(start) + " x" + (i - start));
        start = i;
      }
    }
    return runs;
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
