package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real node processes started with {@code bin/meridian start} (API.md section 1): a SIGTERM ends a
 * serving node with exit code 0, and a SIGKILL in the middle of a write load loses no acknowledged
 * write and counts nothing twice.
 */
class NodeProcessIT {
  private static final Duration STARTUP = Duration.ofMinutes(3);
  private static final Duration EXIT = Duration.ofSeconds(90);
  private static final int SIGKILL_EXIT_CODE = 128 + 9;
  private static final int LOAD_THREADS = 8;
  private static final int COUNTERS = 4;
  private static final int SETS = 2;

  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void destroyProcesses() throws InterruptedException {
    for (Process process : processes) {
      if (process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly); // local-cluster's nodes
        process.destroyForcibly();
        process.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void sigterm_whileServing_exitsWithZero() throws Exception {
    NodeProcess node = start(dir.resolve("data"), "first");
    assertThat(node.get("/health").statusCode()).isEqualTo(200);
    assertThat(node.post("/v1/counters/c", "{\"delta\": 1}").statusCode()).isEqualTo(200);

    node.process().destroy(); // SIGTERM
    assertThat(node.process().waitFor(EXIT.toSeconds(), TimeUnit.SECONDS))
        .as("exited; log:%n%s", node.log())
        .isTrue();
    assertThat(node.process().exitValue()).as("exit code; log:%n%s", node.log()).isZero();
    assertThat(node.log()).contains("stopped");
  }

  @Test
  void sigterm_whileStarting_stopsWhatStartedAndExitsWithZero() throws Exception {
    int port = TestNode.freePort();
    List<String> args = new ArrayList<>(List.of("start"));
    for (String setting : TestNode.config(port, dir.resolve("data"))) {
      args.add("--set");
      args.add(setting);
    }
    // The node alone elects itself only after an election timeout: start-up waits that long for
    // its Raft groups' leaders, serving /health 503 "starting" meanwhile.
    args.addAll(List.of("--set", "raft.electionTimeoutMs=30000"));
    Path log = dir.resolve("starting.log");
    NodeProcess node = new NodeProcess(launch(args, log), port, log, client());
    awaitReady(node.process(), log, () -> node.statusOf("/health") == 503);

    node.process().destroy(); // SIGTERM
    assertThat(node.process().waitFor(EXIT.toSeconds(), TimeUnit.SECONDS))
        .as("exited; log:%n%s", node.log())
        .isTrue();
    assertThat(node.process().exitValue()).as("exit code; log:%n%s", node.log()).isZero();
    assertThat(node.log()).contains("stopped while starting").contains("storage closed");
  }

  @Test
  void sigkill_underLoad_losesNoAcknowledgedWrite() throws Exception {
    Path data = dir.resolve("data");
    NodeProcess first = start(data, "first");
    Load load = new Load(first);
    await().atMost(Duration.ofMinutes(2)).until(() -> load.acknowledged() >= 1_500);

    first.process().destroyForcibly(); // SIGKILL on Linux
    assertThat(first.process().waitFor(EXIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(first.process().exitValue()).as("killed by SIGKILL").isEqualTo(SIGKILL_EXIT_CODE);
    load.stop();

    NodeProcess second = start(data, "second");
    load.assertDurableIn(second);
    long versionAfterRestart = second.putKey("after-restart").version();
    assertThat(versionAfterRestart).isGreaterThan(load.highestVersion());
  }

  @Test
  void sigterm_underLoad_exitsWithZeroAndKeepsAcknowledgedWrites() throws Exception {
    Path data = dir.resolve("data");
    NodeProcess first = start(data, "first");
    Load load = new Load(first);
    await().atMost(Duration.ofMinutes(2)).until(() -> load.acknowledged() >= 500);

    first.process().destroy(); // SIGTERM
    assertThat(first.process().waitFor(EXIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    load.stop();
    assertThat(first.process().exitValue()).as("exit code; log:%n%s", first.log()).isZero();

    NodeProcess second = start(data, "second");
    load.assertDurableIn(second);
    assertThat(second.putKey("after-restart").version()).isGreaterThan(load.highestVersion());
  }

  @Test
  void localCluster_saysWhenANodeDies_andSigtermStopsTheOthers_showingTheirLastLines()
      throws Exception {
    int basePort = FreePorts.baseWithFree(0, 1, 100, 101, 200, 201, 300, 301);
    Path log = dir.resolve("local-cluster.log");
    Process process =
        launch(
            List.of(
                "local-cluster",
                "--nodes-per-region",
                "2",
                "--base-port",
                Integer.toString(basePort),
                "--data-dir",
                dir.resolve("cluster").toString()),
            log);
    awaitReady(process, log, () -> Files.readString(log, UTF_8).contains("local cluster is up"));
    List<ProcessHandle> nodes = process.descendants().toList();
    assertThat(nodes).isNotEmpty();

    ProcessHandle second =
        nodes.stream()
            .filter(node -> commandLine(node).contains("r1n2.yaml"))
            .findFirst()
            .orElseThrow();
    second.destroyForcibly(); // SIGKILL
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.readString(log, UTF_8)
                    .contains("meridian: r1n2 exited with code 137; the other nodes go on"));
    assertThat(process.isAlive()).isTrue();

    process.destroy(); // SIGTERM
    assertThat(process.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    String output = Files.readString(log, UTF_8);
    assertThat(process.exitValue()).as("exit code; log:%n%s", output).isZero();
    assertThat(nodes).noneMatch(ProcessHandle::isAlive);
    assertThat(output)
        .containsPattern("\\[r1n1\\] .*MeridianNode - draining")
        .containsPattern("\\[r1n1\\] .*MeridianNode - stopped");
  }

  @Test
  void localCluster_sigtermWhileStarting_stopsItsNodes_andNodesStopWhenItIsKilled()
      throws Exception {
    int basePort = FreePorts.baseWithFree(0, 100, 200, 300);
    List<String> args =
        List.of(
            "local-cluster",
            "--nodes-per-region",
            "1",
            "--base-port",
            Integer.toString(basePort),
            "--data-dir",
            dir.resolve("cluster").toString());

    Path startingLog = dir.resolve("local-cluster-starting.log");
    Process starting = launch(args, startingLog);
    await().atMost(EXIT).until(() -> starting.descendants().findAny().isPresent());
    List<ProcessHandle> startingNodes = starting.descendants().toList();
    starting.destroy(); // SIGTERM, before the cluster is up
    assertThat(starting.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(starting.exitValue())
        .as("exit code; log:%n%s", Files.readString(startingLog, UTF_8))
        .isZero();
    assertThat(startingNodes).noneMatch(ProcessHandle::isAlive);

    Path log = dir.resolve("local-cluster-killed.log");
    Process killed = launch(args, log);
    awaitReady(killed, log, () -> Files.readString(log, UTF_8).contains("local cluster is up"));
    List<ProcessHandle> nodes = killed.descendants().toList();
    killed.destroyForcibly(); // SIGKILL: no chance to stop its nodes
    await().atMost(EXIT).until(() -> nodes.stream().noneMatch(ProcessHandle::isAlive));
  }

  /**
   * The whole command line: {@code ProcessHandle.Info} cuts it short, and a node's ends, after its
   * long class path, with its configuration file.
   */
  private static String commandLine(ProcessHandle process) {
    try {
      return new String(
          Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")), UTF_8);
    } catch (IOException e) {
      return ""; // exited meanwhile
    }
  }

  /** Starts {@code bin/meridian start} on a free port and waits until it answers /health. */
  private NodeProcess start(Path dataDir, String name) throws IOException {
    int port = TestNode.freePort();
    List<String> args = new ArrayList<>(List.of("start"));
    for (String setting : TestNode.config(port, dataDir)) {
      args.add("--set");
      args.add(setting);
    }
    Path log = dir.resolve(name + ".log");
    NodeProcess node = new NodeProcess(launch(args, log), port, log, client());
    awaitReady(node.process(), log, node::isHealthy);
    return node;
  }

  /** Starts {@code bin/meridian} with {@code args}, its output in {@code log}; stopped after. */
  private Process launch(List<String> args, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(MeridianHome.path().resolve("bin/meridian").toString());
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("MERIDIAN_OPTS", "-Xmx256m");
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  private static void awaitReady(Process process, Path log, Callable<Boolean> ready) {
    await()
        .atMost(STARTUP)
        .pollInterval(Duration.ofMillis(250))
        .failFast("the process exited; see " + log, () -> !process.isAlive())
        .until(ready);
  }

  private static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** A running node process and a client for it. */
  private record NodeProcess(Process process, int port, Path logFile, HttpClient client) {
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
      return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
      return client.send(
          request(path)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(json))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }

    /** PUTs a value to {@code /v1/keys/<key>} and returns the acknowledged write. */
    Written putKey(String key) throws IOException, InterruptedException {
      HttpResponse<String> response =
          client.send(
              request("/v1/keys/" + key)
                  .header("Content-Type", "text/plain")
                  .PUT(HttpRequest.BodyPublishers.ofString(key))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("PUT " + key + ": " + response.statusCode() + " " + response.body());
      }
      return new Written(key, version(response));
    }

    boolean isHealthy() {
      return statusOf("/health") == 200;
    }

    /** The status of a GET of {@code path}, or 0 when nothing answers. */
    int statusOf(String path) {
      try {
        return get(path).statusCode();
      } catch (IOException e) {
        return 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
    }

    String log() {
      try {
        return Files.readString(logFile, UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private HttpRequest.Builder request(String path) {
      return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(30));
    }
  }

  private record Written(String key, long version) {}

  private static long version(HttpResponse<?> response) {
    String etag = response.headers().firstValue("ETag").orElseThrow();
    return Long.parseLong(etag.replace("\"", ""));
  }

  /**
   * Client threads writing to a node until stopped: counter increments of 1, set adds of unique
   * elements and key PUTs. Every request is recorded as acknowledged (200) or unknown (anything
   * else, including no answer), which is what a real client knows.
   */
  private final class Load {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService threads = Executors.newFixedThreadPool(LOAD_THREADS);
    private final Map<String, AtomicLong> ackedIncrements = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> unknownIncrements = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> ackedAdds = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> unknownAdds = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> ackedVersions = new ConcurrentHashMap<>();
    private final AtomicLong acknowledged = new AtomicLong();

    Load(NodeProcess node) {
      for (int i = 0; i < COUNTERS; i++) {
        ackedIncrements.put("c" + i, new AtomicLong());
        unknownIncrements.put("c" + i, new AtomicLong());
      }
      for (int i = 0; i < SETS; i++) {
        ackedAdds.put("s" + i, ConcurrentHashMap.newKeySet());
        unknownAdds.put("s" + i, ConcurrentHashMap.newKeySet());
      }
      for (int t = 0; t < LOAD_THREADS; t++) {
        int thread = t;
        threads.execute(() -> run(node, thread));
      }
    }

    long acknowledged() {
      return acknowledged.get();
    }

    void stop() throws InterruptedException {
      running.set(false);
      threads.shutdown();
      assertThat(threads.awaitTermination(2, TimeUnit.MINUTES)).as("load threads ended").isTrue();
    }

    long highestVersion() {
      return ackedVersions.values().stream().mapToLong(AtomicLong::get).max().orElse(0);
    }

    private void run(NodeProcess node, int thread) {
      for (long i = 0; running.get(); i++) {
        switch ((int) (i % 3)) {
          case 0 -> increment(node, "c" + ((thread + i) % COUNTERS));
          case 1 -> add(node, "s" + (thread % SETS), "t" + thread + "-" + i);
          default -> put(node, "k" + thread);
        }
      }
    }

    private void increment(NodeProcess node, String counter) {
      if (succeeded(() -> node.post("/v1/counters/" + counter, "{\"delta\": 1}"))) {
        ackedIncrements.get(counter).incrementAndGet();
      } else {
        unknownIncrements.get(counter).incrementAndGet();
      }
    }

    private void add(NodeProcess node, String set, String element) {
      String body = "{\"add\": [\"" + element + "\"]}";
      if (succeeded(() -> node.post("/v1/sets/" + set, body))) {
        ackedAdds.get(set).add(element);
      } else {
        unknownAdds.get(set).add(element);
      }
    }

    private void put(NodeProcess node, String key) {
      try {
        Written written = node.putKey(key);
        ackedVersions
            .computeIfAbsent(key, k -> new AtomicLong())
            .accumulateAndGet(written.version(), Math::max);
        acknowledged.incrementAndGet();
      } catch (IOException e) {
        // unknown outcome; a later PUT's version is compared, not this one's
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running.set(false);
      }
    }

    private boolean succeeded(Request request) {
      try {
        boolean ok = request.send().statusCode() == 200;
        if (ok) {
          acknowledged.incrementAndGet();
        }
        return ok;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running.set(false);
        return false;
      }
    }

    /** Every acknowledged write is in {@code node}; nothing was applied twice or invented. */
    void assertDurableIn(NodeProcess node) throws IOException, InterruptedException {
      for (String counter : ackedIncrements.keySet()) {
        long acked = ackedIncrements.get(counter).get();
        long unknown = unknownIncrements.get(counter).get();
        HttpResponse<String> response = node.get("/v1/counters/" + counter);
        long value =
            response.statusCode() == 404
                ? 0
                : new io.vertx.core.json.JsonObject(response.body()).getLong("value");
        assertThat(value)
            .as("counter %s: %d acknowledged, %d unknown", counter, acked, unknown)
            .isBetween(acked, acked + unknown);
      }
      for (String set : ackedAdds.keySet()) {
        HttpResponse<String> response = node.get("/v1/sets/" + set);
        List<Object> elements =
            response.statusCode() == 404
                ? List.of()
                : new io.vertx.core.json.JsonObject(response.body())
                    .getJsonArray("elements")
                    .getList();
        assertThat(elements).as("set %s", set).containsAll(ackedAdds.get(set));
        Set<String> possible = ConcurrentHashMap.newKeySet();
        possible.addAll(ackedAdds.get(set));
        possible.addAll(unknownAdds.get(set));
        assertThat(possible)
            .as("set %s holds only elements that were sent", set)
            .containsAll(elements.stream().map(String.class::cast).toList());
      }
      for (Map.Entry<String, AtomicLong> key : ackedVersions.entrySet()) {
        HttpResponse<String> response = node.get("/v1/keys/" + key.getKey());
        assertThat(response.statusCode()).as("key %s", key.getKey()).isEqualTo(200);
        assertThat(version(response))
            .as("key %s", key.getKey())
            .isGreaterThanOrEqualTo(key.getValue().get());
      }
    }
  }

  @FunctionalInterface
  private interface Request {
    HttpResponse<String> send() throws IOException, InterruptedException;
  }
}
