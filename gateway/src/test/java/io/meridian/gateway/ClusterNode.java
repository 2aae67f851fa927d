package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One node of a {@link ProcessCluster}: its id, ports and files, and the YAML config (API.md
 * section 1) it is started with. All its files live in the test's directory: {@code <id>.yaml},
 * {@code <id>.log} (the output of all its runs) and the data directory {@code data/<id>}.
 *
 * @param seeds membership ports of the nodes it joins through; empty for a node running alone
 * @param replicas {@code replication.n}; w and r are its majority
 */
record ClusterNode(
    String id,
    int httpPort,
    int clusterPort,
    int busPort,
    int raftPort,
    Path config,
    Path dataDir,
    Path log,
    List<String> seeds,
    int replicas) {

  /** The ports of one node, taken from {@link FreePorts}. */
  private static final int PORTS = 4;

  ClusterNode {
    seeds = List.copyOf(seeds);
  }

  /**
   * Nodes {@code n1 .. n<size>} of one region on free ports, each listing every node's membership
   * port as a seed, with replication n=3 (w=r=2).
   */
  static List<ClusterNode> region(Path dir, int size) {
    List<Integer> ports = FreePorts.take(PORTS * size);
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      seeds.add("127.0.0.1:" + ports.get(PORTS * i + 1));
    }
    List<ClusterNode> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      nodes.add(in(dir, "n" + (i + 1), ports, PORTS * i, seeds, 3));
    }
    return nodes;
  }

  /** Node {@code n1} running alone: no seeds (no membership), replication n=w=r=1. */
  static ClusterNode alone(Path dir) {
    return in(dir, "n1", FreePorts.take(PORTS), 0, List.of(), 1);
  }

  /**
   * The node after {@code nodes}, on ports none of them uses, joining through all of their
   * membership ports and its own, with their replication settings.
   */
  static ClusterNode joining(Path dir, List<ClusterNode> nodes) {
    Set<Integer> taken = new HashSet<>();
    nodes.forEach(node -> taken.addAll(node.ports()));
    List<Integer> ports = FreePorts.take(PORTS);
    while (ports.stream().anyMatch(taken::contains)) {
      ports = FreePorts.take(PORTS);
    }
    List<String> seeds = new ArrayList<>(nodes.stream().map(ClusterNode::seed).toList());
    seeds.add("127.0.0.1:" + ports.get(1));
    return in(dir, "n" + (nodes.size() + 1), ports, 0, seeds, nodes.get(0).replicas());
  }

  private static ClusterNode in(
      Path dir, String id, List<Integer> ports, int from, List<String> seeds, int replicas) {
    return new ClusterNode(
        id,
        ports.get(from),
        ports.get(from + 1),
        ports.get(from + 2),
        ports.get(from + 3),
        dir.resolve(id + ".yaml"),
        dir.resolve("data").resolve(id),
        dir.resolve(id + ".log"),
        seeds,
        replicas);
  }

  /**
   * A copy of this node that claims {@code id} instead, as a misconfigured node would, with files
   * of its own ({@code <id>-twin.*}) so that it touches none of the node that has the id.
   */
  ClusterNode claiming(String id) {
    String files = id + "-twin";
    Path dir = config.getParent();
    return new ClusterNode(
        id,
        httpPort,
        clusterPort,
        busPort,
        raftPort,
        dir.resolve(files + ".yaml"),
        dir.resolve("data").resolve(files),
        dir.resolve(files + ".log"),
        seeds,
        replicas);
  }

  List<Integer> ports() {
    return List.of(httpPort, clusterPort, busPort, raftPort);
  }

  /** {@code host:port} of this node's membership, as other nodes list it in their seeds. */
  String seed() {
    return "127.0.0.1:" + clusterPort;
  }

  /**
   * Starts {@code bin/meridian start} for this node, its output appended to its log after a line
   * that names the run; the working directory is the data directory's parent.
   */
  Process launch(List<String> overrides, String meridianOpts) throws IOException {
    Files.createDirectories(dataDir);
    List<String> command = command(overrides);
    Files.writeString(
        log,
        "===== " + id + " started at " + Instant.now() + ": " + command + "\n",
        UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dataDir.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("MERIDIAN_OPTS", meridianOpts);
    return builder.start();
  }

  /** Everything this node has logged, over all its runs. */
  String logText() {
    try {
      return Files.exists(log) ? Files.readString(log, UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last {@code count} lines of the log, each ending in a newline. */
  String logTail(int count) {
    try {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log, UTF_8) : List.of();
      StringBuilder tail = new StringBuilder();
      lines
          .subList(Math.max(0, lines.size() - count), lines.size())
          .forEach(line -> tail.append(line).append('\n'));
      return tail.toString();
    } catch (IOException | UncheckedIOException e) {
      return "(could not read the log: " + e + ")\n";
    }
  }

  /** {@code bin/meridian start --config <config>} with each override as {@code --set}. */
  private List<String> command(List<String> overrides) {
    List<String> command =
        new ArrayList<>(
            List.of(
                MeridianHome.path().resolve("bin/meridian").toString(),
                "start",
                "--config",
                config.toString()));
    for (String override : overrides) {
      command.add("--set");
      command.add(override);
    }
    return command;
  }

  String yaml() {
    List<String> quoted = seeds.stream().map(seed -> "\"" + seed + "\"").toList();
    int majority = replicas / 2 + 1;
    return String.join(
        "\n",
        "node:",
        "  id: " + id,
        "  region: local",
        "  dataDir: \"" + dataDir.toAbsolutePath() + "\"",
        "http:",
        "  host: 127.0.0.1",
        "  port: " + httpPort,
        "cluster:",
        "  host: 127.0.0.1",
        "  port: " + clusterPort,
        "  busPort: " + busPort,
        "  seeds: [" + String.join(", ", quoted) + "]",
        "raft:",
        "  port: " + raftPort,
        "replication:",
        "  n: " + replicas,
        "  w: " + majority,
        "  r: " + majority,
        "");
  }
}
