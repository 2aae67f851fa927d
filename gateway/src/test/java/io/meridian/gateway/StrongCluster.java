package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Real {@code bin/meridian} processes on loopback for the strong-key process tests: one node per
 * region ({@code r1}, {@code r2}, ...) so every Raft group has voters in three regions, extra JVM
 * options for every node (the test-only switches), kill -9, SIGSTOP/SIGCONT and restart on the same
 * data and ports. Everything lives in the test's directory; closing ends every process it started,
 * by PID.
 *
 * <p>Its own fixture rather than {@link ProcessCluster}: it needs per-cluster JVM options and
 * regions, and it keeps this test independent of changes to the shared one.
 */
final class StrongCluster implements StrongWorkload.Nodes, AutoCloseable {
  static final Duration FORMATION = Duration.ofMinutes(2);
  private static final Duration EXIT_GRACE = Duration.ofSeconds(20);
  private static final int LOG_TAIL_LINES = 60;

  private final Path home;
  private final List<NodeFiles> nodes;
  private final List<String> jvmOptions;
  private final List<String> overrides;
  private final Process[] processes;
  private final boolean[] paused;
  private final List<Process> started = new CopyOnWriteArrayList<>();
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /** One node's ports and files. */
  private record NodeFiles(
      String id, int http, int cluster, int bus, int raft, Path config, Path data, Path log) {}

  private StrongCluster(
      Path home, List<NodeFiles> nodes, List<String> jvmOptions, List<String> overrides) {
    this.home = home;
    this.nodes = nodes;
    this.jvmOptions = jvmOptions;
    this.overrides = overrides;
    this.processes = new Process[nodes.size()];
    this.paused = new boolean[nodes.size()];
  }

  /**
   * Starts {@code size} nodes and waits until every one serves and every Raft group has a leader.
   *
   * @param jvmOptions JVM options for every node, after {@code -Xmx256m}
   * @param overrides {@code key=value} settings for every node
   */
  static StrongCluster start(Path dir, int size, List<String> jvmOptions, String... overrides)
      throws IOException {
    Files.createDirectories(dir);
    List<NodeFiles> nodes = new ArrayList<>();
    List<String> seeds = new ArrayList<>();
    // Nodes are killed and restarted on the same ports: below the ephemeral range (FreePorts).
    List<Integer> free = FreePorts.take(4 * size);
    int[][] ports = new int[size][4];
    for (int i = 0; i < size; i++) {
      for (int p = 0; p < 4; p++) {
        ports[i][p] = free.get(4 * i + p);
      }
      seeds.add("\"127.0.0.1:" + ports[i][1] + "\"");
    }
    for (int i = 0; i < size; i++) {
      String id = "n" + (i + 1);
      NodeFiles node =
          new NodeFiles(
              id,
              ports[i][0],
              ports[i][1],
              ports[i][2],
              ports[i][3],
              dir.resolve(id + ".yaml"),
              dir.resolve("data").resolve(id),
              dir.resolve(id + ".log"));
      List<String> yaml =
          new ArrayList<>(
              List.of(
                  "node:",
                  "  id: " + id,
                  "  region: r" + (i + 1),
                  "  dataDir: \"" + node.data().toAbsolutePath() + "\"",
                  "http:",
                  "  port: " + node.http(),
                  "cluster:",
                  "  port: " + node.cluster(),
                  "  busPort: " + node.bus(),
                  "  seeds: [" + String.join(", ", seeds) + "]",
                  "raft:",
                  "  port: " + node.raft()));
      Files.writeString(node.config(), String.join("\n", yaml) + "\n", UTF_8);
      nodes.add(node);
    }
    StrongCluster cluster =
        new StrongCluster(MeridianHome.path(), nodes, List.copyOf(jvmOptions), List.of(overrides));
    try {
      for (int i = 0; i < size; i++) {
        cluster.launch(i);
      }
      cluster.awaitHealthy();
      cluster.awaitLeaders();
      return cluster;
    } catch (RuntimeException | Error e) {
      e.addSuppressed(cluster.logsAsFailure());
      cluster.close();
      throw e;
    }
  }

  @Override
  public int size() {
    return nodes.size();
  }

  @Override
  public String id(int i) {
    return nodes.get(i).id();
  }

  int indexOf(String id) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).id().equals(id)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no node " + id);
  }

  /** Whether node {@code i} has a process (it may be SIGSTOPped). */
  synchronized boolean isRunning(int i) {
    return processes[i] != null;
  }

  synchronized boolean isPaused(int i) {
    return paused[i];
  }

  @Override
  public URI uri(int i, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + nodes.get(i).http() + pathAndQuery);
  }

  HttpClient client() {
    return client;
  }

  Reply get(int i, String pathAndQuery) {
    try {
      HttpResponse<byte[]> response =
          client.send(
              HttpRequest.newBuilder(uri(i, pathAndQuery))
                  .timeout(Duration.ofSeconds(3))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The Raft groups as node {@code i} reports them in {@code /v1/cluster/status}. */
  JsonArray groups(int i) {
    return get(i, "/v1/cluster/status").json().getJsonObject("raft").getJsonArray("groups");
  }

  /**
   * The leader of group {@code group}: the node that says it leads it, or else the leader most of
   * the answering nodes name.
   */
  Optional<String> leaderOf(int group) {
    Map<String, Integer> named = new HashMap<>();
    for (int i = 0; i < size(); i++) {
      if (isRunning(i) && !isPaused(i)) {
        try {
          JsonObject status = groups(i).getJsonObject(group);
          if ("leader".equals(status.getString("role"))) {
            return Optional.of(id(i));
          }
          String leader = status.getString("leader");
          if (leader != null) {
            named.merge(leader, 1, Integer::sum);
          }
        } catch (RuntimeException e) {
          // not answering right now
        }
      }
    }
    return named.entrySet().stream()
        .filter(e -> isRunning(indexOf(e.getKey())))
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey);
  }

  /** Waits until every group has a leader. */
  void awaitLeaders() {
    await("every Raft group has a leader")
        .atMost(FORMATION)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              JsonArray groups = groups(0);
              if (groups.isEmpty()) {
                return false;
              }
              for (int g = 0; g < groups.size(); g++) {
                if (leaderOf(g).isEmpty()) {
                  return false;
                }
              }
              return true;
            });
  }

  void awaitHealthy() {
    await("every running node healthy")
        .atMost(FORMATION)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              for (int i = 0; i < size(); i++) {
                if (isRunning(i) && get(i, "/health").status() != 200) {
                  return false;
                }
              }
              return true;
            });
  }

  /** SIGKILL and wait until the process is gone. */
  void kill9(int i) {
    Process process;
    synchronized (this) {
      process = processes[i];
      processes[i] = null;
      paused[i] = false;
    }
    Signals.send(process, "KILL");
    try {
      process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void sigstop(int i) {
    synchronized (this) {
      paused[i] = true;
    }
    Signals.send(processes[i], "STOP");
  }

  void sigcont(int i) {
    Signals.send(processes[i], "CONT");
    synchronized (this) {
      paused[i] = false;
    }
  }

  /** Starts a killed node again on its data and ports; does not wait for it to serve. */
  void restart(int i) throws IOException {
    launch(i);
  }

  private void launch(int i) throws IOException {
    NodeFiles node = nodes.get(i);
    Files.createDirectories(node.data());
    List<String> command =
        new ArrayList<>(
            List.of(
                home.resolve("bin/meridian").toString(),
                "start",
                "--config",
                node.config().toString()));
    for (String override : overrides) {
      command.add("--set");
      command.add(override);
    }
    Files.writeString(
        node.log(),
        "===== " + node.id() + " started at " + Instant.now() + "\n",
        UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(node.data().getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()));
    builder.environment().put("MERIDIAN_OPTS", String.join(" ", withHeap(jvmOptions)));
    Process process = builder.start();
    started.add(process);
    synchronized (this) {
      processes[i] = process;
      paused[i] = false;
    }
  }

  private static List<String> withHeap(List<String> options) {
    List<String> all = new ArrayList<>();
    all.add("-Xmx256m");
    all.addAll(options);
    return all;
  }

  String logTails() {
    StringBuilder tails = new StringBuilder();
    for (NodeFiles node : nodes) {
      tails
          .append("\n===== ")
          .append(node.id())
          .append(" (")
          .append(node.log())
          .append(") =====\n");
      try {
        List<String> lines =
            Files.exists(node.log()) ? Files.readAllLines(node.log(), UTF_8) : List.of();
        lines
            .subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())
            .forEach(line -> tails.append(line).append('\n'));
      } catch (IOException | UncheckedIOException e) {
        tails.append("(could not read the log: ").append(e).append(")\n");
      }
    }
    return tails.toString();
  }

  Exception logsAsFailure() {
    Exception logs = new Exception("tails of the node logs:" + logTails());
    logs.setStackTrace(new StackTraceElement[0]);
    return logs;
  }

  @Override
  public void close() {
    for (int i = 0; i < nodes.size(); i++) {
      Process process;
      synchronized (this) {
        process = paused[i] ? processes[i] : null;
      }
      if (process != null && process.isAlive()) {
        Signals.send(process, "CONT");
      }
    }
    Signals.stopAll(started, EXIT_GRACE);
  }
}
