package io.meridian.benchmarks.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.random.RandomGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Closed-loop HTTP load against a Meridian node (or {@link HelloWorldServer}): a fixed number of
 * HTTP/1.1 connections, each with exactly one request in flight, sending a weighted mix of ops over
 * a seeded key distribution, and reporting HdrHistogram latency percentiles per op.
 *
 * <p>Exit code 0 when at most 1% of the requests failed, 1 when more did or none completed, 2 for
 * bad options.
 */
@Command(
    name = "load-generator",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Closed-loop HTTP load generator for Meridian.")
public final class LoadGenerator implements Callable<Integer> {
  /** Above this error ratio the run fails: the throughput would describe a broken server. */
  static final double ERROR_RATIO_MAX = 0.01;

  static final int CONNECTIONS_MAX = 10_000;

  enum Distribution {
    UNIFORM,
    ZIPF
  }

  enum Output {
    TEXT,
    JSON
  }

  @Spec private CommandSpec spec;

  @Option(names = "--url", description = "Base URL of the node (default: ${DEFAULT-VALUE}).")
  private String url = "http://127.0.0.1:8080";

  @Option(
      names = "--connections",
      description = "HTTP/1.1 connections, one request in flight each (default: ${DEFAULT-VALUE}).")
  private int connections = 50;

  @Option(
      names = "--duration",
      converter = DurationConverter.class,
      description = "Measured time, e.g. 30s, 2m, 500ms (default: 30s).")
  private Duration duration = Duration.ofSeconds(30);

  @Option(
      names = "--warmup",
      converter = DurationConverter.class,
      description = "Load before measuring, results discarded (default: 5s).")
  private Duration warmup = Duration.ofSeconds(5);

  @Option(names = "--keys", description = "Key-space size (default: ${DEFAULT-VALUE}).")
  private int keys = 10_000;

  @Option(
      names = "--distribution",
      description = "Key distribution: uniform or zipf (default: uniform).")
  private Distribution distribution = Distribution.UNIFORM;

  @Option(names = "--zipf-exponent", description = "Zipf skew (default: ${DEFAULT-VALUE}).")
  private double zipfExponent = 0.99;

  @Option(
      names = "--mix",
      converter = OpMixConverter.class,
      description =
          "Weighted ops, from counter-incr, set-add, key-put, key-get, hello"
              + " (default: counter-incr=1).")
  private OpMix mix = OpMix.parse("counter-incr=1,set-add=0,key-put=0,key-get=0,hello=0");

  @Option(
      names = "--value-bytes",
      description = "Random bytes per key-put (default: ${DEFAULT-VALUE}).")
  private int valueBytes = 100;

  @Option(
      names = "--set-elements",
      description = "Distinct elements set-add draws from (default: ${DEFAULT-VALUE}).")
  private int setElements = 1000;

  @Option(
      names = "--seed",
      description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
  private long seed = 1;

  @Option(names = "--output", description = "text or json (default: text).")
  private Output output = Output.TEXT;

  @Option(names = "--preload", description = "Write every key once (key-put) before the warm-up.")
  private boolean preload;

  @Option(
      names = "--timeout",
      converter = DurationConverter.class,
      description = "Connect timeout and longest silence within a response (default: 10s).")
  private Duration timeout = Duration.ofSeconds(10);

  public static void main(String[] args) {
    JulLogging.install();
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new LoadGenerator()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public Integer call() {
    URI base = validate();
    boolean ssl = "https".equals(base.getScheme());
    int port = base.getPort() != -1 ? base.getPort() : ssl ? 443 : 80;
    var target = new LoadVerticle.Target(base.getHost(), port, ssl, timeout.toMillis());
    Workload workload;
    try {
      workload = new Workload(basePath(base), mix, keyDistribution(), valueBytes, setElements);
    } catch (IllegalArgumentException e) {
      throw parameterError(e.getMessage());
    }
    int eventLoops = Runtime.getRuntime().availableProcessors();

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
    try {
      var runner =
          new PhaseRunner(
              vertx,
              createClient(vertx, ssl),
              target,
              connections,
              eventLoops,
              new SplittableRandom(seed));
      PrintWriter out = spec.commandLine().getOut();
      var result = new JsonObject().put("settings", settings(eventLoops));
      if (output == Output.TEXT) {
        out.println(describe(eventLoops));
        out.flush();
      }
      boolean passed = !preload || preload(runner, workload, result, out);
      passed &= measure(runner, workload, result, out);
      if (output == Output.JSON) {
        out.println(result.put("passed", passed).encode());
      }
      out.flush();
      return passed ? 0 : 1;
    } finally {
      vertx.close().await();
    }
  }

  private HttpClientAgent createClient(Vertx vertx, boolean ssl) {
    return vertx.createHttpClient(
        new HttpClientOptions()
            .setProtocolVersion(HttpVersion.HTTP_1_1)
            .setKeepAlive(true)
            .setPipelining(false)
            .setTcpNoDelay(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
            .setSsl(ssl),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /** Writes every key once; adds {@code preload} to {@code result}; true when it passes. */
  private boolean preload(
      PhaseRunner runner, Workload workload, JsonObject result, PrintWriter out) {
    long startNanos = System.nanoTime();
    LatencyReport report = runner.run(new Phase.Preload(workload));
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    result.put("preload", report.toJson(seconds));
    if (output == Output.TEXT) {
      out.printf(
          Locale.ROOT,
          "preload: %d keys written in %.2f s, %d errors%n",
          report.successes(),
          seconds,
          report.errors());
    }
    return check("preload", report);
  }

  /** Warm-up then measurement; merges the report into {@code result}; true when it passes. */
  private boolean measure(
      PhaseRunner runner, Workload workload, JsonObject result, PrintWriter out) {
    long cpuBeforeNanos = processCpuNanos();
    long measureFromNanos = System.nanoTime() + warmup.toNanos();
    long stopAtNanos = measureFromNanos + duration.toNanos();
    LatencyReport report = runner.run(new Phase.Timed(workload, measureFromNanos, stopAtNanos));
    long cpuAfterNanos = processCpuNanos();
    if (cpuBeforeNanos >= 0 && cpuAfterNanos >= 0) {
      // This JVM's CPU over warm-up and measurement: with the server's, it says what a request
      // costs on the shared cores whatever else runs there.
      result.put("clientCpuSeconds", (cpuAfterNanos - cpuBeforeNanos) / 1e9);
    }
    for (Op op : Op.values()) {
      if (mix.includes(op)) {
        report.include(op);
      }
    }
    // Requests still in flight at the deadline complete after it and are counted, so the rate
    // divides by the time until the last of them.
    long endNanos = Math.max(report.lastCompletionNanos(stopAtNanos), stopAtNanos);
    double seconds = (endNanos - measureFromNanos) / 1e9;
    result.mergeIn(report.toJson(seconds));
    if (output == Output.TEXT) {
      out.print(report.toText(seconds));
    }
    return check("measurement", report);
  }

  /** CPU time of this process in nanoseconds, or -1 where the JVM cannot tell. */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  /** Logs why a phase fails the run; true when it passes. */
  private boolean check(String phase, LatencyReport report) {
    PrintWriter err = spec.commandLine().getErr();
    if (report.successes() + report.errors() == 0) {
      err.println(phase + ": no request completed");
      err.flush();
      return false;
    }
    if (report.errorRatio() > ERROR_RATIO_MAX) {
      err.printf(
          Locale.ROOT,
          "%s: %.2f%% of requests failed (more than %.0f%%)%n",
          phase,
          100 * report.errorRatio(),
          100 * ERROR_RATIO_MAX);
      err.flush();
      return false;
    }
    return true;
  }

  /** Checks the options that picocli cannot; returns the parsed base URL. */
  private URI validate() {
    if (connections < 1 || connections > CONNECTIONS_MAX) {
      throw parameterError("--connections must be in [1, " + CONNECTIONS_MAX + "]");
    }
    if (duration.isNegative() || duration.isZero()) {
      throw parameterError("--duration must be positive");
    }
    if (warmup.isNegative()) {
      throw parameterError("--warmup must not be negative");
    }
    if (timeout.toMillis() < 1) {
      throw parameterError("--timeout must be at least 1ms");
    }
    URI base;
    try {
      base = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw parameterError("--url is not a URI: " + e.getMessage());
    }
    if (!("http".equals(base.getScheme()) || "https".equals(base.getScheme()))
        || base.getHost() == null
        || base.getRawQuery() != null
        || base.getRawFragment() != null) {
      throw parameterError("--url must look like http://host:port[/prefix], got " + url);
    }
    return base;
  }

  private CommandLine.ParameterException parameterError(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  private KeyDistribution keyDistribution() {
    return switch (distribution) {
      case UNIFORM -> new KeyDistribution.Uniform(keys);
      case ZIPF -> new KeyDistribution.Zipf(keys, zipfExponent);
    };
  }

  private static String basePath(URI base) {
    String path = base.getRawPath() == null ? "" : base.getRawPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private String describe(int eventLoops) {
    return String.format(
        Locale.ROOT,
        "%s: %d connections, %s measured after %s warm-up, %s, mix %s, seed %d, %d event loops",
        url,
        connections,
        DurationConverter.format(duration),
        DurationConverter.format(warmup),
        distribution == Distribution.ZIPF
            ? "zipf(" + zipfExponent + ") over " + keys + " keys"
            : "uniform over " + keys + " keys",
        mix,
        seed,
        eventLoops);
  }

  private JsonObject settings(int eventLoops) {
    var weights = new JsonObject();
    mix.weights().forEach((op, weight) -> weights.put(op.cliName(), weight));
    var settings =
        new JsonObject()
            .put("url", url)
            .put("connections", connections)
            .put("durationSeconds", duration.toMillis() / 1000.0)
            .put("warmupSeconds", warmup.toMillis() / 1000.0)
            .put("keys", keys)
            .put("distribution", distribution.name().toLowerCase(Locale.ROOT))
            .put("mix", weights)
            .put("valueBytes", valueBytes)
            .put("setElements", setElements)
            .put("seed", seed)
            .put("preload", preload)
            .put("eventLoops", eventLoops);
    if (distribution == Distribution.ZIPF) {
      settings.put("zipfExponent", zipfExponent);
    }
    return settings;
  }

  /**
   * Deploys one {@link LoadVerticle} per event loop for a phase, waits for every loop to stop and
   * merges their reports. The loops' generators are split from one root in a fixed order, so a seed
   * reproduces each loop's sequence of ops and keys.
   */
  private record PhaseRunner(
      Vertx vertx,
      HttpClientAgent client,
      LoadVerticle.Target target,
      int connections,
      int eventLoops,
      SplittableRandom root) {
    LatencyReport run(Phase phase) {
      int instances = Math.min(eventLoops, connections);
      List<List<RandomGenerator>> loopRandoms = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        loopRandoms.add(new ArrayList<>());
      }
      for (int loop = 0; loop < connections; loop++) {
        loopRandoms.get(loop % instances).add(root.split());
      }
      List<LoadVerticle> verticles =
          loopRandoms.stream()
              .map(randoms -> new LoadVerticle(client, target, phase, randoms))
              .toList();
      // Deployed one by one from this thread, each instance gets the next event loop in turn.
      List<Future<String>> deployments =
          verticles.stream().map(verticle -> vertx.deployVerticle(verticle)).toList();
      Future.all(deployments).await();
      Future.all(verticles.stream().map(LoadVerticle::finished).toList()).await();
      var merged = new LatencyReport();
      verticles.forEach(verticle -> merged.merge(verticle.finished().result()));
      Future.all(deployments.stream().map(id -> vertx.undeploy(id.result())).toList()).await();
      return merged;
    }
  }

  /** Reads {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}, ISO-8601 {@code PT30S}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String text = value.trim().toLowerCase(Locale.ROOT);
      try {
        if (text.startsWith("pt")) {
          return Duration.parse(text);
        }
        if (text.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
        }
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        switch (text.charAt(text.length() - 1)) {
          case 's':
            return Duration.ofSeconds(amount);
          case 'm':
            return Duration.ofMinutes(amount);
          case 'h':
            return Duration.ofHours(amount);
          default:
            break;
        }
      } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
        // Falls through to the message below, which says what is accepted.
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration like 30s, 500ms, 2m, 1h or PT30S");
    }

    static String format(Duration duration) {
      return duration.toMillis() % 1000 == 0
          ? duration.toSeconds() + "s"
          : duration.toMillis() + "ms";
    }
  }

  /** Parses {@code --mix}; the parser's message says what is wrong with the entry. */
  static final class OpMixConverter implements CommandLine.ITypeConverter<OpMix> {
    @Override
    public OpMix convert(String value) {
      try {
        return OpMix.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
