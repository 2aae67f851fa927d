package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.DataDirectoryLock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code meridian start} with a configuration it cannot use exits with code 2 and one line on
 * stderr naming the key (API.md section 1). Runs the command in-process; only invalid
 * configurations are tried, since a valid one blocks until SIGTERM.
 */
class StartupTest {
  @TempDir Path dataDir;

  @Test
  void start_writeQuorumAboveN_exits2NamingTheKey() {
    Outcome outcome = start("replication.n=1", "replication.w=2");
    assertBadConfig(outcome, "replication.w");
  }

  @Test
  void start_readQuorumAboveN_exits2NamingTheKey() {
    Outcome outcome = start("replication.n=3", "replication.w=2", "replication.r=4");
    assertBadConfig(outcome, "replication.r");
  }

  /** One setting the node cannot use, and the key its one line must name. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "http.bogus=1, http.bogus",
    "http.port=abc, http.port",
    "http.host=no-such-host.invalid, http.host",
    // 203.0.113.0/24 is reserved for documentation (RFC 5737): never an address of this machine.
    "cluster.host=203.0.113.7, cluster.host"
  })
  void start_unusableSetting_exits2NamingTheKey(String setting, String key) {
    assertBadConfig(start(setting), key);
  }

  @Test
  void start_portInUse_exits2NamingTheKey() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Outcome outcome = start("http.port=" + taken.getLocalPort());
      assertBadConfig(outcome, "http.port");
      assertThat(outcome.stderr()).contains(String.valueOf(taken.getLocalPort()));
      // Refused before anything was created: no Raft group directories left behind.
      assertThat(dataDir.resolve("raft")).doesNotExist();
    }
  }

  @Test
  void start_raftPortInUse_exits2NamingTheKey() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Outcome outcome = start("raft.port=" + taken.getLocalPort());
      assertBadConfig(outcome, "raft.port");
    }
  }

  @Test
  void start_raftPortSameAsHttpPort_exits2NamingTheKey_beforeCreatingAnything() {
    int port = TestNode.freePort();
    Outcome outcome = startWith(dataDir, "http.port=" + port, "raft.port=" + port);
    assertBadConfig(outcome, "raft.port");
    assertThat(outcome.stderr()).contains("is also http.port");
    assertThat(dataDir.resolve("raft")).doesNotExist();
    assertThat(dataDir.resolve("store")).doesNotExist();
  }

  @Test
  void start_busPortSameAsHttpPort_exits2NamingTheKey() {
    int port = TestNode.freePort();
    Outcome outcome =
        startWith(
            dataDir,
            "http.port=" + port,
            "raft.port=" + TestNode.freePort(),
            "cluster.port=" + TestNode.freePort(),
            "cluster.busPort=" + port,
            "cluster.seeds=[127.0.0.1:" + TestNode.freePort() + "]");
    assertBadConfig(outcome, "cluster.busPort");
    assertThat(dataDir.resolve("store")).doesNotExist();
  }

  @Test
  void start_dataDirHoldingForeignFile_exits2NamingTheKey() throws IOException {
    Files.writeString(dataDir.resolve("thesis.docx"), "not a database", UTF_8);
    Outcome outcome = start();
    assertBadConfig(outcome, "node.dataDir");
    assertThat(dataDir.resolve("store")).doesNotExist();
  }

  @Test
  void start_dataDirIsAFile_exits2NamingTheKey() throws IOException {
    Path file = Files.writeString(dataDir.resolve("file"), "x", UTF_8);
    Outcome outcome = startWith(file, "http.port=" + TestNode.freePort());
    assertBadConfig(outcome, "node.dataDir");
  }

  @Test
  void start_dataDirOfAnotherNode_exits2NamingTheNodeId() {
    try (TestNode first = TestNode.start(dataDir, "node.id=first")) {
      assertThat(first.get("/health").status()).isEqualTo(200);
    }
    Outcome outcome = start("node.id=second");
    assertBadConfig(outcome, "node.id");
  }

  @Test
  void start_dataDirInUseByARunningNode_exits2NamingTheKey() throws IOException {
    // As a running node holds it (the lock is the store's; in this JVM a second claim fails too).
    try (DataDirectoryLock held = DataDirectoryLock.tryAcquire(dataDir.resolve("store")).get()) {
      Outcome outcome = start();
      assertBadConfig(outcome, "node.dataDir");
      assertThat(outcome.stderr()).contains("in use by another running node");
      assertThat(dataDir.resolve("raft")).doesNotExist();
    }
  }

  @Test
  void noCommand_exits2SayingOneIsNeeded() {
    Outcome outcome = run();
    assertThat(outcome.exitCode()).isEqualTo(Main.EXIT_BAD_CONFIG);
    assertThat(outcome.stderr()).contains("a command is needed").contains("start");
  }

  @Test
  void start_missingConfigFile_exits2NamingTheFile() {
    Path missing = dataDir.resolve("missing.yaml");
    Outcome outcome = run("start", "--config", missing.toString());
    assertBadConfig(outcome, "missing.yaml");
  }

  @Test
  void localCluster_basePortOutOfRange_exits2NamingTheOption() {
    assertBadConfig(localCluster("70000"), "--base-port");
  }

  @Test
  void localCluster_badOverride_exits2NamingTheKey_leavingNothing() throws IOException {
    String basePort = Integer.toString(TestNode.freePort());
    assertBadConfig(localCluster(basePort, "--set", "replication.w=5"), "replication.w");
    try (java.util.stream.Stream<Path> left = Files.list(dataDir)) {
      assertThat(left).as("what the refused local-cluster left in --data-dir").isEmpty();
    }
  }

  @Test
  void localCluster_portInUse_exits2NamingTheKey_beforeAnyNodeStarts() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // The one node's HTTP port is the base port: another process (or cluster) holds it.
      Outcome outcome = localCluster(Integer.toString(taken.getLocalPort()));
      assertBadConfig(outcome, "http.port");
      assertThat(outcome.stderr()).contains(String.valueOf(taken.getLocalPort()));
      assertThat(dataDir.resolve("r1n1")).as("the node's data directory").doesNotExist();
    }
  }

  @Test
  void localCluster_perNodeOverride_exits2NamingTheKey_beforeTouchingTheDataDir() {
    String basePort = Integer.toString(TestNode.freePort());
    Path fresh = dataDir.resolve("fresh");
    Outcome outcome =
        run(
            "local-cluster",
            "--base-port",
            basePort,
            "--data-dir",
            fresh.toString(),
            "--set",
            "http.port=" + basePort);
    assertBadConfig(outcome, "http.port");
    assertThat(fresh).doesNotExist();
  }

  @Test
  void localCluster_moreReplicasThanNodesPerRegion_exits2NamingTheKey() {
    String basePort = Integer.toString(TestNode.freePort());
    Outcome outcome = localCluster(basePort, "--set", "replication.n=2");
    assertBadConfig(outcome, "replication.n");
    assertThat(dataDir.resolve("r1n1")).as("the node's data directory").doesNotExist();
  }

  @Test
  void localCluster_dataDirIsAFile_exits2NamingTheOption() throws IOException {
    Path file = Files.writeString(dataDir.resolve("file"), "x", UTF_8);
    Outcome outcome = run("local-cluster", "--base-port", "23456", "--data-dir", file.toString());
    assertBadConfig(outcome, "--data-dir");
    assertThat(Files.readString(file, UTF_8)).isEqualTo("x");
  }

  @Test
  void localCluster_dataDirOfARunningLocalCluster_exits2_andRewritesNothing() throws IOException {
    Path config = Files.writeString(dataDir.resolve("r1n1.yaml"), "running: yes\n", UTF_8);
    try (DataDirectoryLock held = DataDirectoryLock.tryAcquire(dataDir).get()) {
      Outcome outcome = localCluster(Integer.toString(TestNode.freePort()));
      assertBadConfig(outcome, "--data-dir");
      assertThat(outcome.stderr()).contains("in use by another running local-cluster");
    }
    assertThat(Files.readString(config, UTF_8)).isEqualTo("running: yes\n");
  }

  @Test
  void localCluster_dataDirOfAClusterWithOtherPorts_exits2SayingWhichArguments()
      throws IOException {
    Files.createDirectories(dataDir.resolve("r1n1"));
    Files.writeString(
        dataDir.resolve("local-cluster.layout"),
        "--regions 1 --nodes-per-region 1 --base-port 23800\n",
        UTF_8);
    Outcome outcome = localCluster(Integer.toString(TestNode.freePort()));
    assertBadConfig(outcome, "--base-port 23800");
  }

  /** {@code meridian local-cluster} of one node on {@code basePort}, then {@code more}. */
  private Outcome localCluster(String basePort, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "local-cluster",
                "--nodes-per-region",
                "1",
                "--base-port",
                basePort,
                "--data-dir",
                dataDir.toString()));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  private static void assertBadConfig(Outcome outcome, String key) {
    assertThat(outcome.exitCode()).as("exit code; stderr: %s", outcome.stderr()).isEqualTo(2);
    List<String> lines = outcome.stderr().lines().filter(line -> !line.isBlank()).toList();
    assertThat(lines).as("stderr").hasSize(1);
    assertThat(lines.get(0)).contains(key);
  }

  /** Runs {@code meridian start} on the test's data dir and a free port, then {@code settings}. */
  private Outcome start(String... settings) {
    List<String> all = new ArrayList<>(List.of("http.port=" + TestNode.freePort()));
    all.addAll(List.of(settings));
    return startWith(dataDir, all.toArray(String[]::new));
  }

  private static Outcome startWith(Path dir, String... settings) {
    List<String> args = new ArrayList<>(List.of("start", "--set", "node.dataDir=" + dir));
    for (String setting : settings) {
      args.add("--set");
      args.add(setting);
    }
    return run(args.toArray(String[]::new));
  }

  private static synchronized Outcome run(String... args) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (PrintStream err = new PrintStream(captured, true, UTF_8)) {
      System.setErr(err);
      int exitCode = new CommandLine(new Main()).execute(args);
      err.flush();
      return new Outcome(exitCode, captured.toString(UTF_8));
    } finally {
      System.setErr(original);
    }
  }

  private record Outcome(int exitCode, String stderr) {}
}
