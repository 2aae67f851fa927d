package io.meridian.gateway;

import static java.util.stream.Collectors.joining;

import io.meridian.core.DataDirectoryLock;
import io.meridian.core.config.ConfigException;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meridian local-cluster}: a whole cluster on loopback as child processes of this one, for
 * trying Meridian out and for demos. Each node gets a generated config (ports counted up from
 * {@code --base-port}), its own data directory and log prefix; SIGTERM or Ctrl-C stops them all,
 * also during start-up, and a node whose local-cluster is killed stops by itself ({@link
 * Termination}). One local-cluster at a time uses a {@code --data-dir}, always with the arguments
 * that made it.
 */
@Command(
    name = "local-cluster",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Run a multi-region cluster on loopback as child processes.")
final class LocalCluster implements Callable<Integer> {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** The path of {@code bin/meridian}, which passes it to the JVM. */
  private static final String LAUNCHER_PROPERTY = "meridian.launcher";

  /** The arguments that fixed the nodes' ports, kept in the data directory. */
  private static final String LAYOUT_FILE = "local-cluster.layout";

  /** Keys that local-cluster sets for each node: one value for all would break the cluster. */
  private static final List<String> PER_NODE_KEYS =
      List.of(
          "node.id",
          "node.region",
          "node.dataDir",
          "http.host",
          "http.port",
          "cluster.host",
          "cluster.port",
          "cluster.busPort",
          "cluster.seeds",
          "raft.port");

  @Option(names = "--regions", defaultValue = "1", description = "number of regions (1-9)")
  int regions;

  @Option(
      names = "--nodes-per-region",
      defaultValue = "3",
      description = "nodes in each region (1-9)")
  int nodesPerRegion;

  @Option(
      names = "--base-port",
      defaultValue = "8080",
      description =
          "HTTP port of the first node; node i (from 0) takes base+i for HTTP, base+100+i for"
              + " membership, base+200+i for the event bus and base+300+i for Raft")
  int basePort;

  @Option(
      names = "--data-dir",
      defaultValue = "./data/local-cluster",
      description = "parent directory of the nodes' data directories")
  Path dataDir;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "override a configuration key on every node (repeatable)")
  List<String> overrides = new ArrayList<>();

  private final List<Process> children = new ArrayList<>();

  /** Set once the cluster stops: its nodes' exits are then expected. */
  private volatile boolean stopping;

  /** The threads that copy each child's output, prefixed; joined on stop for its last lines. */
  private final List<Thread> pumps = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (regions < 1 || regions > 9 || nodesPerRegion < 1 || nodesPerRegion > 9) {
      System.err.println("meridian: --regions and --nodes-per-region must be between 1 and 9");
      return Main.EXIT_BAD_CONFIG;
    }
    List<LocalNode> nodes = plan();
    int highestBase = 65535 - nodes.get(nodes.size() - 1).raftPort() + basePort;
    if (basePort < 1 || basePort > highestBase) {
      // Every node takes four ports counting up from here (HTTP, membership, bus, Raft).
      System.err.println("meridian: --base-port must be between 1 and " + highestBase);
      return Main.EXIT_BAD_CONFIG;
    }
    Optional<String> perNode = overrides.stream().filter(LocalCluster::setsPerNodeKey).findFirst();
    if (perNode.isPresent()) {
      System.err.println(
          "meridian: --set " + perNode.get() + ": local-cluster sets that key for each node");
      return Main.EXIT_BAD_CONFIG;
    }
    Optional<FreshDataDirectory> fresh = FreshDataDirectory.at(dataDir);
    int exit;
    try (DataDirectoryLock lock = lockDataDir().orElse(null)) {
      if (lock == null) {
        return Main.EXIT_BAD_CONFIG;
      }
      Optional<String> layoutProblem = checkLayout(nodes);
      if (layoutProblem.isPresent()) {
        System.err.println("meridian: " + layoutProblem.get());
        return Main.EXIT_BAD_CONFIG;
      }
      exit = run(nodes);
    }
    if (exit == Main.EXIT_BAD_CONFIG && children.isEmpty()) {
      // Refused before any node started: its lock and the nodes' files go with it.
      fresh.ifPresent(FreshDataDirectory::discard);
    }
    return exit;
  }

  private static boolean setsPerNodeKey(String override) {
    int equals = override.indexOf('=');
    String key = (equals < 0 ? override : override.substring(0, equals)).trim();
    return PER_NODE_KEYS.contains(key);
  }

  /**
   * Claims {@code --data-dir} for this local-cluster, or says why not: a second one there would
   * rewrite the running nodes' configuration files and open their stores.
   */
  private Optional<DataDirectoryLock> lockDataDir() {
    try {
      Optional<DataDirectoryLock> lock = DataDirectoryLock.tryAcquire(dataDir);
      if (lock.isEmpty()) {
        System.err.println(
            "meridian: --data-dir " + dataDir + " is in use by another running local-cluster");
      }
      return lock;
    } catch (IOException e) {
      System.err.println("meridian: --data-dir " + dataDir + " cannot be used: " + e);
      return Optional.empty();
    }
  }

  /**
   * The Raft groups of a cluster's nodes know each other by address, and the addresses follow from
   * these arguments: a data directory whose nodes have data stays with the arguments it was made
   * with.
   */
  private Optional<String> checkLayout(List<LocalNode> nodes) throws IOException {
    Path file = dataDir.resolve(LAYOUT_FILE);
    if (!Files.exists(file)
        || nodes.stream().noneMatch(node -> Files.isDirectory(dataDir.resolve(node.id())))) {
      return Optional.empty();
    }
    String made = Files.readString(file, StandardCharsets.UTF_8).trim();
    return made.equals(layout())
        ? Optional.empty()
        : Optional.of(
            "--data-dir "
                + dataDir
                + " holds a cluster started with "
                + made
                + " (its nodes know each other's ports); start it with those, or give another"
                + " --data-dir");
  }

  private String layout() {
    return "--regions "
        + regions
        + " --nodes-per-region "
        + nodesPerRegion
        + " --base-port "
        + basePort;
  }

  private int run(List<LocalNode> nodes) throws IOException, InterruptedException {
    List<Path> configs = new ArrayList<>();
    for (LocalNode node : nodes) {
      Path config = dataDir.resolve(node.id() + ".yaml");
      Files.writeString(config, node.yaml(nodes, dataDir.resolve(node.id()), replicationN()));
      try {
        // Here, so that a bad --set or a port in use is one line naming the key, as from
        // `meridian start`, before any node starts: a node whose ports are another cluster's
        // would otherwise join that cluster through its seeds, and the health of those ports
        // would look like this cluster's.
        MeridianConfig loaded = new ConfigLoader().load(Optional.of(config), overrides);
        if (loaded.replication().n() > nodesPerRegion) {
          throw new ConfigException(
              "replication.n",
              loaded.replication().n()
                  + " replicas per region, but --nodes-per-region is "
                  + nodesPerRegion);
        }
        ListenAddresses.check(loaded);
      } catch (ConfigException e) {
        System.err.println(
            "meridian: invalid configuration: " + e.getMessage() + " (node " + node.id() + ")");
        return Main.EXIT_BAD_CONFIG;
      }
      configs.add(config);
    }
    Files.writeString(dataDir.resolve(LAYOUT_FILE), layout() + "\n", StandardCharsets.UTF_8);
    // From here on a signal, also during start-up, stops the nodes started so far.
    Termination.handleSignals();
    try {
      for (int i = 0; i < nodes.size(); i++) {
        children.add(launch(nodes.get(i), configs.get(i)));
      }
      Optional<String> failed = awaitHealthy(nodes);
      if (Termination.requested()) {
        return Main.EXIT_OK; // stopped while starting: the nodes started so far stop below
      }
      if (failed.isPresent()) {
        System.err.println("meridian: " + failed.get());
        // A child refused its configuration (--set): so does the cluster.
        return exitedWith(Main.EXIT_BAD_CONFIG) ? Main.EXIT_BAD_CONFIG : Main.EXIT_FATAL;
      }
      for (LocalNode node : nodes) {
        System.out.println(
            node.id() + " (region " + node.region() + "): http://127.0.0.1:" + node.httpPort());
      }
      reportExits(nodes, configs);
      System.out.println("local cluster is up; Ctrl-C or SIGTERM stops it");
      Termination.await();
    } finally {
      stopChildren();
    }
    return Main.EXIT_OK;
  }

  private int replicationN() {
    return Math.min(3, nodesPerRegion);
  }

  private List<LocalNode> plan() {
    List<LocalNode> nodes = new ArrayList<>();
    int index = 0;
    for (int r = 1; r <= regions; r++) {
      for (int n = 1; n <= nodesPerRegion; n++) {
        nodes.add(new LocalNode("r" + r + "n" + n, "r" + r, basePort, index++));
      }
    }
    return nodes;
  }

  private Process launch(LocalNode node, Path config) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("start");
    command.add("--config");
    command.add(config.toString());
    for (String override : overrides) {
      command.add("--set");
      command.add(override);
    }
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder
        .environment()
        .put(Termination.PARENT_PID_VARIABLE, Long.toString(ProcessHandle.current().pid()));
    Process process = builder.start();
    Thread pump = new Thread(() -> prefixOutput(node.id(), process), "log-" + node.id());
    pump.setDaemon(true);
    pump.start();
    pumps.add(pump);
    return process;
  }

  private static void prefixOutput(String id, Process process) {
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        System.out.println("[" + id + "] " + line);
      }
    } catch (IOException e) {
      // The child exited; its output ends here.
    }
  }

  /**
   * Waits until every node is healthy, or this process is told to stop; else says which node was
   * not, and why.
   */
  private Optional<String> awaitHealthy(List<LocalNode> nodes) throws InterruptedException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    for (int i = 0; i < nodes.size(); i++) {
      LocalNode node = nodes.get(i);
      while (!healthy(node.httpPort())) {
        Optional<String> exited = exitedChild(nodes);
        if (exited.isPresent()) {
          return exited;
        }
        if (Instant.now().isAfter(deadline)) {
          return Optional.of(node.id() + " did not become healthy within " + START_TIMEOUT);
        }
        if (Termination.await(Duration.ofMillis(250))) {
          return Optional.empty();
        }
      }
    }
    // A node that answered and then exited (its ports taken after the check) fails it too.
    return exitedChild(nodes);
  }

  /** The first node that is no longer running, if any: none of them may exit during start-up. */
  private Optional<String> exitedChild(List<LocalNode> nodes) {
    for (int i = 0; i < children.size(); i++) {
      Process child = children.get(i);
      if (!child.isAlive()) {
        return Optional.of(
            nodes.get(i).id()
                + " exited during start-up with code "
                + child.exitValue()
                + " (see above)");
      }
    }
    return Optional.empty();
  }

  /**
   * Says so when a node exits while the cluster runs (a crash, a kill): the others go on, as a
   * cluster does without one of its nodes, and the line says how to start it again.
   */
  private void reportExits(List<LocalNode> nodes, List<Path> configs) {
    for (int i = 0; i < children.size(); i++) {
      LocalNode node = nodes.get(i);
      Path config = configs.get(i);
      children
          .get(i)
          .onExit()
          .thenAccept(
              child -> {
                if (!stopping) {
                  System.err.println(
                      "meridian: "
                          + node.id()
                          + " exited with code "
                          + child.exitValue()
                          + "; the other nodes go on (start it again, outside local-cluster: "
                          + System.getProperty(LAUNCHER_PROPERTY, "bin/meridian")
                          + " start --config "
                          + config.toAbsolutePath().normalize()
                          + overrides.stream().map(set -> " --set " + set).collect(joining())
                          + ")");
                }
              });
    }
  }

  private boolean exitedWith(int code) {
    return children.stream().anyMatch(child -> !child.isAlive() && child.exitValue() == code);
  }

  private static boolean healthy(int port) {
    try {
      HttpURLConnection connection =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
      connection.setConnectTimeout(500);
      connection.setReadTimeout(1000);
      return connection.getResponseCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private void stopChildren() {
    stopping = true;
    // SIGTERM through the process handle: Process.destroy also closes the child's output pipe,
    // which would cut off its last lines.
    children.forEach(child -> child.toHandle().destroy());
    for (Process child : children) {
      try {
        if (!child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          child.destroyForcibly();
        }
      } catch (InterruptedException e) {
        child.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    // The children's last lines (draining, stopped) may still be in the pipes when they exit.
    for (Thread pump : pumps) {
      try {
        pump.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    children.clear();
    pumps.clear();
  }

  /** One planned node and the ports it gets: HTTP, membership, event bus, Raft. */
  record LocalNode(String id, String region, int basePort, int index) {
    int httpPort() {
      return basePort + index;
    }

    int clusterPort() {
      return basePort + 100 + index;
    }

    int busPort() {
      return basePort + 200 + index;
    }

    int raftPort() {
      return basePort + 300 + index;
    }

    String yaml(List<LocalNode> all, Path dataDir, int n) {
      List<String> seeds =
          all.stream().map(other -> "\"127.0.0.1:" + other.clusterPort() + "\"").toList();
      int quorum = n / 2 + 1;
      return String.join(
          "\n",
          "node:",
          "  id: " + id,
          "  region: " + region,
          "  dataDir: \"" + dataDir.toAbsolutePath() + "\"",
          "http:",
          "  host: 127.0.0.1",
          "  port: " + httpPort(),
          "cluster:",
          "  host: 127.0.0.1",
          "  port: " + clusterPort(),
          "  busPort: " + busPort(),
          "  seeds: [" + String.join(", ", seeds) + "]",
          "raft:",
          "  port: " + raftPort(),
          "replication:",
          "  n: " + n,
          "  w: " + quorum,
          "  r: " + quorum,
          "");
    }
  }
}
