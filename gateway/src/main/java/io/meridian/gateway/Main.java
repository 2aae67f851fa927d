package io.meridian.gateway;

import io.meridian.core.config.ConfigException;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code bin/meridian} entry point. Exit codes (API.md section 1): 0 after a clean shutdown on
 * SIGTERM or SIGINT, 2 for a bad configuration (one line naming the key), 1 for anything else.
 */
@Command(
    name = "meridian",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "A geo-replicated key-value store.",
    subcommands = {Main.Start.class, LocalCluster.class})
public final class Main implements Callable<Integer> {
  static final int EXIT_OK = 0;
  static final int EXIT_FATAL = 1;
  static final int EXIT_BAD_CONFIG = 2;

  public static void main(String[] args) {
    poolAsyncCompletions();
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setParameterExceptionHandler(
        (e, arguments) -> {
          System.err.println("meridian: " + e.getMessage());
          return EXIT_BAD_CONFIG;
        });
    System.exit(commandLine.execute(args));
  }

  /**
   * {@code CompletableFuture}'s {@code *Async} methods without an executor run on the common
   * fork-join pool only when its parallelism is above one; below three cores it is one, and each
   * such task gets a thread of its own instead. Ratis' client completes every reply that way, so
   * under strong-key load a node started and ended hundreds of threads a second. Must run before
   * anything touches the common pool.
   */
  private static void poolAsyncCompletions() {
    String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(parallelism) == null) {
      int processors = Runtime.getRuntime().availableProcessors();
      System.setProperty(parallelism, Integer.toString(Math.max(2, processors - 1)));
    }
  }

  /** No command: a usage error, like an unknown command. */
  @Override
  public Integer call() {
    System.err.println("meridian: a command is needed");
    CommandLine.usage(this, System.err);
    return EXIT_BAD_CONFIG;
  }

  /** {@code meridian start}: one node in the foreground. */
  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      versionProvider = Version.class,
      description = "Run one node.")
  static final class Start implements Callable<Integer> {
    /** How long a stopping node serves on with {@code /health} at 503 (API.md: "draining"). */
    private static final Duration DRAIN_NOTICE = Duration.ofSeconds(1);

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file")
    Path config;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "override one configuration key (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
      MeridianNode node;
      Termination.followParentFromEnvironment();
      // From the start: a signal during start-up stops what has started, and exits 0.
      Termination.handleSignals();
      try {
        MeridianConfig loaded = new ConfigLoader().load(Optional.ofNullable(config), overrides);
        node = MeridianNode.start(loaded, Termination::requested);
      } catch (StartCancelled e) {
        System.err.println("meridian: stopped while starting");
        return EXIT_OK;
      } catch (ConfigException e) {
        System.err.println("meridian: invalid configuration: " + e.getMessage());
        return EXIT_BAD_CONFIG;
      } catch (RuntimeException | Error e) {
        // An Error too (a LinkageError, an OutOfMemoryError): left to escape, it would end only the
        // main thread, and Hazelcast's and Vert.x's threads would keep a half-started node alive as
        // a cluster member that never serves and never exits.
        System.err.println("meridian: failed to start: " + e);
        e.printStackTrace();
        return EXIT_FATAL;
      }
      Termination.await();
      node.stop(DRAIN_NOTICE);
      return EXIT_OK;
    }
  }
}
