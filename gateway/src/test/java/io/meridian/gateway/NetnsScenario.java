package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A scenario script of {@code gateway/src/test/shell} run from JUnit: real node processes, each in
 * its own network namespace ({@code netns-cluster.sh}). The script prints every measurement and
 * check and exits 0 when they all passed; its output is echoed to the test's output as it comes. On
 * failure the script prints the tails of the node logs and all of them are kept in the directory
 * given; on timeout its process tree is ended and stale namespaces are removed.
 */
final class NetnsScenario {
  /** After SIGTERM the script's trap tears everything down; this is how long it may take. */
  private static final Duration TEARDOWN_GRACE = Duration.ofSeconds(45);

  private static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(60);
  private static final int OUTPUT_TAIL_LINES = 120;

  private NetnsScenario() {}

  /** What a script printed (stdout and stderr, interleaved), its exit code, and if it hung. */
  record Run(int exitCode, boolean timedOut, List<String> output) {
    Run {
      output = List.copyOf(output);
    }

    String tail() {
      return String.join(
          "\n", output.subList(Math.max(0, output.size() - OUTPUT_TAIL_LINES), output.size()));
    }
  }

  /**
   * Fails (when the environment variable {@code CI} is set) or aborts the test (otherwise) unless
   * this machine has root, {@code ip netns}, veth, bridges, nft, curl, jq and a build.
   */
  static void requireNetworkNamespaces(String tests) throws Exception {
    Run preflight =
        run(
            List.of("bash", shell().resolve("netns-cluster.sh").toString(), "preflight"),
            PREFLIGHT_TIMEOUT,
            Map.of());
    String reason =
        tests
            + " need root, ip netns, veth, bridges, nft, curl and jq: "
            + String.join(" ", preflight.output());
    if (preflight.exitCode() != 0) {
      if (System.getenv("CI") != null) {
        fail(reason);
      }
      Assumptions.abort(reason);
    }
  }

  /**
   * Runs {@code script} and asserts that it finished within {@code timeout} and passed. The node
   * logs of a failed run are kept under {@code gateway/target/netns-logs/<scenario>}.
   *
   * @param environment extra environment variables for the script (its knobs)
   */
  static Run runScenario(String script, Duration timeout, Map<String, String> environment)
      throws Exception {
    String name = script.replaceFirst("\\.sh$", "");
    Path logs = MeridianHome.path().resolve("gateway/target/netns-logs").resolve(name);
    deleteRecursively(logs);
    Map<String, String> env = new HashMap<>(environment);
    env.put("NC_KEEP_LOGS", logs.toString());
    Run result = run(List.of("bash", shell().resolve(script).toString()), timeout, env);
    assertThat(result.timedOut())
        .as(
            "%s did not finish within %s; its process tree was ended. Output:%n%s",
            script, timeout, result.tail())
        .isFalse();
    assertThat(result.exitCode())
        .as("exit code of %s (node logs in %s). Output:%n%s", script, logs, result.tail())
        .isZero();
    return result;
  }

  /**
   * Runs a command, echoing its output to this test's output as it comes. On timeout the command
   * gets SIGTERM (its trap tears the namespaces down), then every process of its tree that is still
   * alive after {@link #TEARDOWN_GRACE} gets SIGKILL, by PID; then stale namespaces are cleaned.
   */
  private static Run run(List<String> command, Duration timeout, Map<String, String> environment)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("MERIDIAN_HOME", MeridianHome.path().toString());
    builder.environment().putAll(environment);
    Process process = builder.start();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                  System.out.println(line);
                  output.add(line);
                }
              } catch (IOException e) {
                output.add("(output stream ended: " + e + ")");
              }
            },
            "scenario-output");
    pump.setDaemon(true);
    pump.start();
    boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      endTree(process);
    }
    pump.join(TimeUnit.SECONDS.toMillis(10));
    synchronized (output) {
      return new Run(finished ? process.exitValue() : -1, !finished, output);
    }
  }

  private static void endTree(Process process) throws Exception {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    // SIGTERM by PID rather than Process.destroy(), which also closes the script's output pipe:
    // the script must still be able to report its teardown.
    new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
    if (!process.waitFor(TEARDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
      tree.addAll(process.descendants().toList());
      process.destroyForcibly();
    }
    for (ProcessHandle handle : tree) {
      if (handle.isAlive()) {
        handle.destroyForcibly();
      }
    }
    run(
        List.of("bash", shell().resolve("netns-cluster.sh").toString(), "cleanup"),
        PREFLIGHT_TIMEOUT,
        Map.of());
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  static Path shell() {
    return MeridianHome.path().resolve("gateway/src/test/shell");
  }
}
