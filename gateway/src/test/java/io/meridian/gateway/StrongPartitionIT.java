package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import io.meridian.replication.strong.LinearizabilityChecker;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Strong keys under a network partition (issue 6): the node that leads the most Raft groups, one of
 * three nodes each in its own network namespace, is cut off from the other two for 20 s under a
 * recorded workload whose clients (in the hub namespace) talk to every node, the cut-off one
 * included. The scenario is {@code gateway/src/test/shell/strong-partition.sh} (it checks the
 * elections it sees); this test checks the history it records: every key's history is linearizable,
 * no acknowledged write is lost, every strong write the minority answered during the cut answered
 * 503 or 504, and the majority side kept acknowledging writes of the cut-off node's group (how long
 * they stalled is reported).
 *
 * <p>Needs root, {@code ip netns}, veth, bridges and nft (see {@link NetnsScenario}); skipped where
 * they are missing unless {@code CI} is set. The history and the scenario's events stay in {@code
 * gateway/target/strong-partition}.
 */
class StrongPartitionIT {
  /**
   * The scenario takes about a minute and a half; forming the cluster on a busy 2-core box can add
   * one more. {@code -Dstrong.scenarioTimeoutSeconds=N} overrides it.
   */
  private static final Duration SCENARIO_TIMEOUT =
      Duration.ofSeconds(Long.getLong("strong.scenarioTimeoutSeconds", 420));

  /**
   * What the cut-off node may answer a strong write: refused (nothing written) or timeout (outcome
   * unknown). Not 200 (nothing can commit there) nor 412 (checking a revision needs the log too).
   */
  private static final Set<Integer> REFUSED_OR_UNKNOWN = Set.of(503, 504);

  private static final Set<Integer> EXPECTED_STATUSES = Set.of(200, 404, 412, 503, 504);

  @BeforeAll
  static void requireNetworkNamespaces() throws Exception {
    NetnsScenario.requireNetworkNamespaces("the strong-key partition test");
  }

  @Test
  void leaderCutOffTwentySeconds_minorityAcknowledgesNoWrite_historiesAreLinearizable()
      throws Exception {
    Path out = MeridianHome.path().resolve("gateway/target/strong-partition");
    NetnsScenario.runScenario(
        "strong-partition.sh",
        SCENARIO_TIMEOUT,
        Map.of("STRONG_OUT", out.toString(), "STRONG_CLASSPATH", testClasspath()));
    Events events = Events.read(out.resolve("events.json"));
    List<Sent> sent = read(out.resolve("history.jsonl"));
    List<Op> history = sent.stream().map(Sent::op).toList();

    LinearizabilityChecker.Result result = new LinearizabilityChecker().check(history);
    report(events, sent, result);

    assertThat(result.linearizable()).as("linearizable:%n%s", result).isTrue();
    StrongKeysIT.assertNoAcknowledgedWriteLost(history);
    List<Sent> minorityWrites =
        sent.stream()
            .filter(events::answeredDuringCut)
            .filter(s -> s.isWrite() && s.node().equals(events.victim()))
            .toList();
    assertThat(minorityWrites)
        .as("strong writes sent to the cut-off %s and answered during the cut", events.victim())
        .isNotEmpty()
        .allSatisfy(
            s ->
                assertThat(s.op().status())
                    .as("status of %s on %s", s.op(), s.node())
                    .isIn(REFUSED_OR_UNKNOWN));
    assertThat(probeStalls(events, sent))
        .as(
            "probe writes of group %d acknowledged through each node of the majority side during"
                + " the cut",
            events.group())
        .hasSize(2)
        .allSatisfy((node, stall) -> assertThat(stall).as("through %s", node).isPresent());
    assertThat(sent.stream().map(s -> s.op().status()).filter(s -> !EXPECTED_STATUSES.contains(s)))
        .as("answers other than %s (0: no answer within the client's timeout)", EXPECTED_STATUSES)
        .isEmpty();
  }

  // ---- the recorded history ------------------------------------------------------------------

  /** An operation and the node it was sent to. */
  private record Sent(Op op, String node) {
    boolean isWrite() {
      return op.kind() != Kind.READ;
    }

    boolean acknowledged() {
      return op.outcome() == Outcome.OK && op.status() == 200;
    }
  }

  private static List<Sent> read(Path file) throws IOException {
    List<Sent> sent = new ArrayList<>();
    for (String line : Files.readAllLines(file, UTF_8)) {
      if (!line.isBlank()) {
        JsonObject json = new JsonObject(line);
        sent.add(new Sent(Op.fromJson(json), json.getString("node", "?")));
      }
    }
    return sent;
  }

  /** What the scenario did and saw (its {@code events.json}); times in epoch milliseconds. */
  private record Events(
      String victim,
      int group,
      int groups,
      List<Integer> victimLedGroups,
      long cutAtMs,
      long healAtMs,
      String newLeader,
      Long newLeaderAfterMs,
      Long victimSteppedDownAfterMs,
      Long rejoinedAfterMs,
      Long oldTerm,
      Long newTerm,
      List<Election> elections) {

    static Events read(Path file) throws IOException {
      JsonObject json = new JsonObject(Files.readString(file, UTF_8));
      List<Integer> led = new ArrayList<>();
      json.getJsonArray("victimLedGroups").forEach(g -> led.add(((Number) g).intValue()));
      List<Election> elections = new ArrayList<>();
      for (int i = 0; i < json.getJsonArray("elections").size(); i++) {
        JsonObject e = json.getJsonArray("elections").getJsonObject(i);
        elections.add(
            new Election(
                e.getInteger("group"),
                e.getString("leader"),
                e.getLong("afterMs"),
                e.getLong("term"),
                e.getLong("victimSteppedDownAfterMs")));
      }
      return new Events(
          json.getString("victim"),
          json.getInteger("group"),
          json.getInteger("groups"),
          List.copyOf(led),
          json.getLong("cutAtMs"),
          json.getLong("healAtMs"),
          json.getString("newLeader"),
          json.getLong("newLeaderAfterMs"),
          json.getLong("victimSteppedDownAfterMs"),
          json.getLong("rejoinedAfterMs"),
          json.getLong("oldTerm"),
          json.getLong("newTerm"),
          List.copyOf(elections));
    }

    /** A group the victim led, its new leader on the majority side, and when (after the cut). */
    record Election(
        int group, String leader, long afterMs, long term, long victimSteppedDownAfterMs) {}

    long cutNanos() {
      return TimeUnit.MILLISECONDS.toNanos(cutAtMs);
    }

    long healNanos() {
      return TimeUnit.MILLISECONDS.toNanos(healAtMs);
    }

    /** Sent after the cut was in place and answered before the heal began. */
    boolean answeredDuringCut(Sent s) {
      return s.op().call() >= cutNanos() && s.op().ret() <= healNanos();
    }
  }

  /**
   * How long writes of the cut-off leader's group stalled through each node of the majority side,
   * by node: from the cut to the first acknowledgement of a probe write through that node after the
   * cut (which only a leader on the majority side can give), if it came before the heal. Each
   * node's Raft client finds the new leader on its own.
   */
  private static Map<String, OptionalLong> probeStalls(Events events, List<Sent> sent) {
    Map<String, OptionalLong> stalls = new TreeMap<>();
    sent.stream()
        .filter(StrongPartitionIT::isProbe)
        .map(Sent::node)
        .distinct()
        .forEach(
            node ->
                stalls.put(
                    node,
                    sent.stream()
                        .filter(s -> isProbe(s) && s.node().equals(node) && s.acknowledged())
                        .filter(s -> s.op().ret() > events.cutNanos())
                        .filter(s -> s.op().ret() <= events.healNanos())
                        .mapToLong(s -> (s.op().ret() - events.cutNanos()) / 1_000_000)
                        .min()));
    return stalls;
  }

  private static boolean isProbe(Sent s) {
    return s.op().process().startsWith("probe-");
  }

  // ---- the report ----------------------------------------------------------------------------

  private static void report(Events events, List<Sent> sent, LinearizabilityChecker.Result result) {
    StringBuilder text = new StringBuilder();
    text.append(
        String.format(
            "== strong partition: %s (leader of groups %s of %d) cut off from the other two for"
                + " %.1f s%n",
            events.victim(),
            events.victimLedGroups(),
            events.groups(),
            (events.healAtMs() - events.cutAtMs()) / 1e3));
    text.append(
        String.format(
            "   %d operations: %s%n",
            sent.size(), countBy(sent, s -> phase(events, s) + " " + bucket(s.op()))));
    text.append(
        String.format(
            "   answered during the cut by %s (minority): %s%n",
            events.victim(),
            countBy(
                sent.stream()
                    .filter(events::answeredDuringCut)
                    .filter(s -> s.node().equals(events.victim()))
                    .toList(),
                s -> bucket(s.op()))));
    text.append(
        String.format(
            "   answered during the cut by the majority: %s%n",
            countBy(
                sent.stream()
                    .filter(events::answeredDuringCut)
                    .filter(s -> !s.node().equals(events.victim()))
                    .toList(),
                s -> s.node() + " " + bucket(s.op()))));
    text.append(
        String.format(
            "   after the heal %s followed group %d's new leader %s within %s ms%n",
            events.victim(), events.group(), events.newLeader(), events.rejoinedAfterMs()));
    text.append(
        String.format(
            "   majority-side write stall of group %d (probe; from the cut to the first"
                + " acknowledgement through each node): %s; longest gap between acknowledgements"
                + " %d ms%n",
            events.group(),
            probeStalls(events, sent).entrySet().stream()
                .map(
                    e ->
                        e.getKey()
                            + " "
                            + (e.getValue().isPresent()
                                ? e.getValue().getAsLong() + " ms"
                                : "none before the heal"))
                .collect(Collectors.joining(", ")),
            longestProbeGap(events, sent)));
    for (Events.Election e : events.elections()) {
      text.append(
          String.format(
              "   group %d: %s leader %d ms after the cut (term %d); %s stepped down after %s%n",
              e.group(),
              e.leader(),
              e.afterMs(),
              e.term(),
              events.victim(),
              e.victimSteppedDownAfterMs() < 0
                  ? "(not seen)"
                  : e.victimSteppedDownAfterMs() + " ms"));
    }
    text.append("   checker: ");
    result
        .keys()
        .values()
        .forEach(
            k ->
                text.append(k.key())
                    .append('=')
                    .append(k.verdict())
                    .append('(')
                    .append(k.operations())
                    .append(") "));
    text.append('\n');
    System.out.print(text);
  }

  /** The longest time between two acknowledged probe writes around the cut. */
  private static long longestProbeGap(Events events, List<Sent> sent) {
    List<Long> acks =
        sent.stream()
            .filter(s -> isProbe(s) && s.acknowledged())
            .map(s -> s.op().ret())
            .sorted(Comparator.naturalOrder())
            .toList();
    long longest = 0;
    for (int i = 1; i < acks.size(); i++) {
      if (acks.get(i) >= events.cutNanos() && acks.get(i - 1) <= events.healNanos()) {
        longest = Math.max(longest, acks.get(i) - acks.get(i - 1));
      }
    }
    return longest / 1_000_000;
  }

  private static boolean isFinal(Sent s) {
    return s.op().process().equals("final");
  }

  private static String phase(Events events, Sent s) {
    if (isFinal(s)) {
      return "final";
    }
    if (s.op().call() < events.cutNanos()) {
      return "before";
    }
    return s.op().call() < events.healNanos() ? "cut" : "after";
  }

  private static String bucket(Op op) {
    return op.kind().name().toLowerCase(Locale.ROOT)
        + " "
        + (op.status() == 0 ? op.outcome().name().toLowerCase(Locale.ROOT) : op.status());
  }

  private static Map<String, Long> countBy(List<Sent> sent, Function<Sent, String> bucket) {
    return sent.stream()
        .collect(Collectors.groupingBy(bucket, TreeMap::new, Collectors.counting()));
  }

  /**
   * The classpath of this test (its classes, the replication test-jar, the dependencies) for the
   * client process the scenario starts in the hub namespace.
   */
  private static String testClasspath() {
    String classpath = System.getProperty("surefire.test.class.path");
    return classpath != null && !classpath.isBlank()
        ? classpath
        : System.getProperty("java.class.path");
  }
}
