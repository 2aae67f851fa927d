package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Meridian cluster of real node processes ({@code bin/meridian start}, API.md section 1) on free
 * loopback ports, for whole-system fault tests. Each node ({@link ClusterNode}) has a generated
 * YAML config listing every node's membership port as a seed, its own data directory, and a log
 * file that collects the output of all its runs; all of it lives in the test's directory. A node
 * can be killed with SIGKILL, stopped with SIGTERM, paused with SIGSTOP, resumed with SIGCONT and
 * restarted on the same data and ports; a node can be added to a running cluster. Closing the
 * cluster ends every process it started, by PID.
 *
 * <p>Nodes are addressed by index ({@code 0 .. size-1}); node {@code i} has id {@code n<i+1>}.
 */
final class ProcessCluster implements AutoCloseable {
  /** Forming a cluster of JVMs on a 2-core box takes 10–20 s; this is what we are ready to wait. */
  static final Duration FORMATION = Duration.ofMinutes(2);

  /** Hinted handoff replays fast once targets are up; this also covers a slow re-join. */
  static final Duration HINT_DRAIN = Duration.ofMinutes(2);

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  static final String MERIDIAN_OPTS = "-Xmx256m";
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration EXIT_GRACE = Duration.ofSeconds(20);

  /** SIGTERM drains HTTP, closes Vert.x (leaving the membership) and flushes storage. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(90);

  private static final int LOG_TAIL_LINES = 80;

  private final Path dir;
  private final List<ClusterNode> nodes;
  private final List<String> overrides;

  /** The current process of each running node; absent while it is killed or stopped. */
  private final Map<Integer, Process> processes = new ConcurrentHashMap<>();

  /** Nodes that are SIGSTOPped. */
  private final Set<Integer> stopped = ConcurrentHashMap.newKeySet();

  /** Every process ever started, for {@link #close}. */
  private final List<Process> started = new CopyOnWriteArrayList<>();

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ProcessCluster(Path dir, List<ClusterNode> nodes, List<String> overrides)
      throws IOException {
    this.dir = dir;
    this.nodes = new CopyOnWriteArrayList<>(nodes);
    this.overrides = List.copyOf(overrides);
    for (ClusterNode node : nodes) {
      Files.writeString(node.config(), node.yaml(), UTF_8);
    }
  }

  /**
   * Starts {@code size} nodes (replication n=3, w=2, r=2 unless overridden) and waits until every
   * one is healthy and sees every member {@code up}. On failure the processes are ended and the
   * exception carries the tails of their logs.
   *
   * @param dir where configs, data directories and logs go
   * @param overrides {@code key=value} settings passed to every node with {@code --set}
   */
  static ProcessCluster start(Path dir, int size, String... overrides) throws IOException {
    ProcessCluster cluster =
        new ProcessCluster(dir, ClusterNode.region(dir, size), List.of(overrides));
    try {
      for (int i = 0; i < size; i++) {
        cluster.launch(i);
      }
      cluster.awaitHealthy();
      cluster.awaitAllUp();
      return cluster;
    } catch (IOException | RuntimeException | Error e) {
      e.addSuppressed(cluster.logsAsFailure());
      cluster.close();
      throw e;
    }
  }

  /**
   * One node running alone (no seeds, no membership, replication n=w=r=1), configured but not
   * started: {@link #startNode startNode(0)} starts it, so that a test can prepare its data
   * directory first.
   */
  static ProcessCluster standalone(Path dir, String... overrides) throws IOException {
    return new ProcessCluster(dir, List.of(ClusterNode.alone(dir)), List.of(overrides));
  }

  /**
   * Adds a node to the cluster and starts it; it joins through every node's membership port and its
   * own. Returns its index at once: {@link #awaitHealthy} and {@link #awaitAllUp} wait for it.
   */
  int addNode() throws IOException {
    int index = nodes.size();
    ClusterNode node = ClusterNode.joining(dir, nodes);
    Files.writeString(node.config(), node.yaml(), UTF_8);
    nodes.add(node);
    launch(index);
    return index;
  }

  /** A node started beside the cluster's own, and its process. */
  record Extra(ClusterNode node, Process process) {}

  /**
   * Starts a second node with node {@code i}'s id, on ports and files of its own, joining through
   * every node's membership port: a copy-pasted config. Not one of the cluster's nodes; its process
   * is ended by {@link #close} like theirs.
   */
  Extra startTwinOf(int i) throws IOException {
    ClusterNode twin = ClusterNode.joining(dir, nodes).claiming(id(i));
    Files.writeString(twin.config(), twin.yaml(), UTF_8);
    Process process = twin.launch(overrides, MERIDIAN_OPTS);
    started.add(process);
    return new Extra(twin, process);
  }

  int size() {
    return nodes.size();
  }

  String id(int i) {
    return nodes.get(i).id();
  }

  URI uri(int i, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + nodes.get(i).httpPort() + pathAndQuery);
  }

  /** Whether node {@code i} was started and has not been killed or stopped since. */
  boolean isRunning(int i) {
    return processes.containsKey(i);
  }

  /** The indexes of the running nodes, in order. */
  List<Integer> runningNodes() {
    return IntStream.range(0, size()).filter(this::isRunning).boxed().toList();
  }

  /** {@code replication.n} of the nodes' configs. */
  int replicas() {
    return nodes.get(0).replicas();
  }

  Path dataDir(int i) {
    return nodes.get(i).dataDir();
  }

  /** Everything node {@code i} has logged, over all its runs. */
  String log(int i) {
    return nodes.get(i).logText();
  }

  Reply get(int i, String pathAndQuery) {
    return send(request(i, pathAndQuery).GET());
  }

  Reply post(int i, String pathAndQuery, String json) {
    return send(
        request(i, pathAndQuery)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, UTF_8)));
  }

  Reply put(int i, String pathAndQuery, byte[] body, String contentType) {
    return send(
        request(i, pathAndQuery)
            .header("Content-Type", contentType)
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Node {@code i}'s {@code /v1/cluster/status}. */
  JsonObject status(int i) {
    Reply reply = get(i, "/v1/cluster/status");
    if (reply.status() != 200) {
      throw new AssertionError(id(i) + " /v1/cluster/status: " + reply);
    }
    return reply.json();
  }

  /** Member id to status ({@code up}, {@code suspect}, {@code down}) as node {@code i} sees it. */
  Map<String, String> memberStatuses(int i) {
    Map<String, String> statuses = new LinkedHashMap<>();
    status(i)
        .getJsonArray("members")
        .forEach(
            m -> {
              JsonObject member = (JsonObject) m;
              statuses.put(member.getString("id"), member.getString("status"));
            });
    return statuses;
  }

  /** {@code hints.pending} of node {@code i}. */
  long hintsPending(int i) {
    return status(i).getJsonObject("hints").getLong("pending");
  }

  /** {@code hints.pendingByTarget[target]} of node {@code i}; 0 if the target is not listed. */
  long hintsPendingFor(int i, String target) {
    return status(i).getJsonObject("hints").getJsonObject("pendingByTarget").getLong(target, 0L);
  }

  /** Each node's {@code hints} object of {@code /v1/cluster/status}, for a test's report. */
  String hintsReport() {
    StringBuilder report = new StringBuilder();
    for (int i = 0; i < size(); i++) {
      report.append(id(i)).append(' ');
      try {
        report.append(status(i).getJsonObject("hints").encode());
      } catch (RuntimeException e) {
        report.append("(no answer: ").append(e).append(')');
      }
      report.append("; ");
    }
    return report.toString();
  }

  /**
   * The value of a counter or gauge without labels in node {@code i}'s {@code /metrics}, e.g.
   * {@code meridian_storage_quarantined_total}; 0 if it is not there yet.
   */
  double metric(int i, String name) {
    for (String line : get(i, "/metrics").text().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return 0;
  }

  /** SIGKILL ({@code kill -9}) node {@code i} and wait until the process is gone. */
  void kill9(int i) {
    Process process = running(i);
    Signals.send(process, "KILL");
    Signals.awaitExit(process, id(i), EXIT_GRACE);
    processes.remove(i);
    stopped.remove(i);
  }

  /** SIGTERM node {@code i} (a graceful stop), wait until it exits, and return its exit code. */
  int stop(int i) {
    Process process = running(i);
    Signals.send(process, "TERM");
    Signals.awaitExit(process, id(i), STOP_GRACE);
    processes.remove(i);
    stopped.remove(i);
    return process.exitValue();
  }

  /** Waits until node {@code i}, which is expected to give up by itself, exits; its exit code. */
  int awaitExitCode(int i) {
    Process process = running(i);
    Signals.awaitExit(process, id(i), FORMATION);
    processes.remove(i);
    return process.exitValue();
  }

  /** SIGSTOP node {@code i}: the process freezes; its sockets stay open. */
  void sigstop(int i) {
    Signals.send(running(i), "STOP");
    stopped.add(i);
  }

  /** SIGCONT node {@code i} after {@link #sigstop}. */
  void sigcont(int i) {
    Signals.send(running(i), "CONT");
    stopped.remove(i);
  }

  /**
   * Starts node {@code i} again, after {@link #kill9} or {@link #stop}, on the same config, data
   * directory and ports. Returns once the process is launched; {@link #awaitHealthy} waits for it
   * to serve.
   */
  void restart(int i) throws IOException {
    startNode(i);
  }

  /** Starts node {@code i}, which is not running; the first start of a {@link #standalone} node. */
  void startNode(int i) throws IOException {
    if (isRunning(i)) {
      throw new IllegalStateException(id(i) + " is still running");
    }
    launch(i);
  }

  /** Waits until every running node answers {@code /health} with 200. */
  void awaitHealthy() {
    await("every running node healthy")
        .atMost(FORMATION)
        .pollInterval(Duration.ofMillis(250))
        .failFast("a node process exited", this::anyRunningNodeExited)
        .until(() -> runningNodes().stream().allMatch(this::healthy));
  }

  /** Waits until every node's {@code /v1/cluster/status} lists every member as {@code up}. */
  void awaitAllUp() {
    Map<String, String> everyoneUp = new LinkedHashMap<>();
    nodes.forEach(node -> everyoneUp.put(node.id(), "up"));
    await("every node sees every member up")
        .atMost(FORMATION)
        .pollInterval(POLL)
        .ignoreExceptions()
        .failFast("a node process exited", this::anyRunningNodeExited)
        .untilAsserted(
            () -> {
              for (int i = 0; i < size(); i++) {
                assertThat(memberStatuses(i))
                    .as("members as %s sees them", id(i))
                    .isEqualTo(everyoneUp);
              }
            });
  }

  /** Waits until every running node other than {@code i} reports it not {@code up}. */
  void awaitSeenNotUp(int i, Duration atMost) {
    await(id(i) + " not up in every other node's view")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (int observer = 0; observer < size(); observer++) {
                if (observer != i && isRunning(observer)) {
                  assertThat(memberStatuses(observer).get(id(i)))
                      .as("%s as %s sees it", id(i), id(observer))
                      .isNotEqualTo("up");
                }
              }
            });
  }

  /**
   * The status of member {@code subject} in the view of each other running node that answers (a
   * node that cannot answer right now is left out).
   */
  Map<String, String> viewsOf(int subject) {
    Map<String, String> views = new LinkedHashMap<>();
    for (int observer = 0; observer < size(); observer++) {
      if (observer != subject && isRunning(observer) && !stopped.contains(observer)) {
        try {
          views.put(id(observer), memberStatuses(observer).get(id(subject)));
        } catch (RuntimeException e) {
          // restarting or overloaded: no view from this observer now
        }
      }
    }
    return views;
  }

  /** Waits until {@code hints.pending} is 0 on every running node. */
  void awaitHintsDrained() {
    await("hints.pending 0 on every running node")
        .atMost(HINT_DRAIN)
        .pollInterval(POLL)
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (int i : runningNodes()) {
                assertThat(hintsPending(i)).as("hints.pending of %s", id(i)).isZero();
              }
            });
  }

  /** The last lines of every node's log, for a failure report. */
  String logTails() {
    StringBuilder tails = new StringBuilder();
    for (ClusterNode node : nodes) {
      tails
          .append("\n===== ")
          .append(node.id())
          .append(" (")
          .append(node.log())
          .append(") =====\n");
      tails.append(node.logTail(LOG_TAIL_LINES));
    }
    return tails.toString();
  }

  /**
   * Ends every process this cluster started: SIGCONT for a stopped one, then SIGTERM to all, then
   * SIGKILL for those still alive after a grace period.
   */
  @Override
  public void close() {
    for (int i : stopped) {
      Process process = processes.get(i);
      if (process != null && process.isAlive()) {
        Signals.send(process, "CONT");
      }
    }
    stopped.clear();
    Signals.stopAll(started, EXIT_GRACE);
    processes.clear();
  }

  private void launch(int i) throws IOException {
    Process process = nodes.get(i).launch(overrides, MERIDIAN_OPTS);
    started.add(process);
    processes.put(i, process);
  }

  private Process running(int i) {
    Process process = processes.get(i);
    if (process == null) {
      throw new IllegalStateException(id(i) + " is not running");
    }
    return process;
  }

  private boolean anyRunningNodeExited() {
    return processes.values().stream().anyMatch(process -> !process.isAlive());
  }

  private boolean healthy(int i) {
    try {
      return send(request(i, "/health").timeout(Duration.ofSeconds(2)).GET()).status() == 200;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  private HttpRequest.Builder request(int i, String pathAndQuery) {
    return HttpRequest.newBuilder(uri(i, pathAndQuery)).timeout(REQUEST_TIMEOUT);
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<byte[]> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Exception logsAsFailure() {
    Exception logs = new Exception("tails of the node logs:" + logTails());
    logs.setStackTrace(new StackTraceElement[0]);
    return logs;
  }

  /**
   * A JUnit extension that, when a test fails, prints the tails of the node logs of the clusters it
   * watches and attaches them to the failure.
   */
  static final class LogsOnFailure implements AfterTestExecutionCallback {
    private final List<ProcessCluster> clusters = new CopyOnWriteArrayList<>();

    ProcessCluster watch(ProcessCluster cluster) {
      clusters.add(cluster);
      return cluster;
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
      context
          .getExecutionException()
          .ifPresent(
              failure -> {
                for (ProcessCluster cluster : clusters) {
                  Exception logs = cluster.logsAsFailure();
                  System.err.println(context.getDisplayName() + " failed; " + logs.getMessage());
                  failure.addSuppressed(logs);
                }
              });
      clusters.clear();
    }
  }
}
