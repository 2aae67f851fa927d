package io.meridian.benchmarks.http;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Renders the Markdown result table of {@code benchmarks/run-single-node.sh} from the files the
 * script collected in one directory:
 *
 * <ul>
 *   <li>{@code environment.md}: rows of the two-column table that says where it ran;
 *   <li>{@code meridian-OP.json}: {@link LoadGenerator} JSON output of one phase, {@code OP} one of
 *       counter-incr, set-add, key-put, key-get; with {@code meridian-OP.metrics-before} and {@code
 *       .metrics-after}, the node's {@code /metrics} scraped around that phase, and {@code
 *       meridian-OP.cpu}, the server's CPU time around it, and {@code meridian-OP.machine}, the
 *       machine's;
 *   <li>{@code hello.json}, {@code hello.cpu} and {@code hello.machine}: the same against {@link
 *       HelloWorldServer};
 *   <li>{@code redis.out} and {@code redis-sadd-new.out}: {@code peer-redis.sh -C} output.
 * </ul>
 *
 * <p>A {@code .cpu} file holds three numbers: the server process's user+system CPU time in clock
 * ticks ({@code /proc/PID/stat}) before and after the phase, and the ticks per second. Divided by
 * every request the phase completed (preload and warm-up included), that is the server CPU per
 * request: unlike ops/s, it barely depends on what else runs on the machine.
 *
 * <p>A {@code .machine} file holds four numbers: the whole machine's busy and idle clock ticks
 * ({@code /proc/stat}, idle including I/O wait) before, then after the phase. The busy share says
 * whether the phase saturated the cores: one that leaves them idle is bound by waiting, not CPU.
 *
 * <p>A missing file leaves its row (or figure) out. The exit code is 0 when every phase present
 * passed the generator's error check.
 */
@Command(
    name = "single-node-report",
    mixinStandardHelpOptions = true,
    description = "Markdown table of a run-single-node.sh run.")
public final class SingleNodeReport implements Callable<Integer> {
  /** The storage summary whose sum/count deltas give the mutations per group commit. */
  static final String BATCH_METRIC = "meridian_storage_batch_mutations";

  /** The target: durable counter increments at this share of hello-world ops/s. */
  static final double HELLO_TARGET = 0.40;

  static final List<String> MERIDIAN_OPS = List.of("counter-incr", "set-add", "key-put", "key-get");

  @Option(names = "--dir", required = true, description = "Directory holding the run's files.")
  private Path dir;

  @Option(names = "--title", description = "First heading (default: ${DEFAULT-VALUE}).")
  private String title = "Meridian single-node benchmark";

  public static void main(String[] args) {
    System.exit(new CommandLine(new SingleNodeReport()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    var rendered = render(dir, title);
    System.out.print(rendered.markdown());
    System.out.flush();
    return rendered.passed() ? 0 : 1;
  }

  /** The Markdown and whether every generator phase passed. */
  record Rendered(String markdown, boolean passed) {}

  /** One row of the result table; absent figures print as a dash. */
  record Row(
      String workload,
      double opsPerSecond,
      OptionalDouble p50Micros,
      OptionalDouble p99Micros,
      OptionalDouble p999Micros,
      OptionalDouble mutationsPerCommit,
      OptionalDouble serverCpuMicros,
      OptionalDouble clientCpuMicros,
      OptionalDouble machineBusyPercent,
      String errors) {}

  static Rendered render(Path dir, String title) throws IOException {
    boolean passed = true;
    Map<String, Row> rows = new LinkedHashMap<>();
    for (String op : MERIDIAN_OPS) {
      Path json = dir.resolve("meridian-" + op + ".json");
      if (!Files.exists(json)) {
        continue;
      }
      JsonObject result = readJson(json);
      passed &= result.getBoolean("passed", false);
      OptionalDouble perCommit =
          op.equals("key-get")
              ? OptionalDouble.empty()
              : mutationsPerCommit(
                  readIfPresent(dir.resolve("meridian-" + op + ".metrics-before")),
                  readIfPresent(dir.resolve("meridian-" + op + ".metrics-after")));
      String label = "Meridian " + op + (op.equals("key-get") ? " (preloaded keys)" : "");
      rows.put(
          "meridian " + op,
          generatorRow(label, result, op, perCommit, dir.resolve("meridian-" + op)));
    }
    Path hello = dir.resolve("hello.json");
    if (Files.exists(hello)) {
      JsonObject result = readJson(hello);
      passed &= result.getBoolean("passed", false);
      rows.put(
          "hello",
          generatorRow(
              "Vert.x hello-world (baseline)",
              result,
              "hello",
              OptionalDouble.empty(),
              dir.resolve("hello")));
    }
    for (String file : List.of("redis.out", "redis-sadd-new.out")) {
      Path out = dir.resolve(file);
      if (Files.exists(out)) {
        String suffix = file.equals("redis.out") ? "" : " (new members)";
        rows.putAll(redisRows(read(out), suffix));
      }
    }

    var md = new StringBuilder();
    md.append("# ").append(title).append("\n\n| | |\n|---|---|\n");
    Path environment = dir.resolve("environment.md");
    if (Files.exists(environment)) {
      md.append(read(environment).strip()).append('\n');
    }
    md.append('\n');
    md.append(
        "| workload | ops/s | p50 µs | p99 µs | p99.9 µs | mutations/commit"
            + " | server CPU µs/request | generator CPU µs/request | machine busy | errors |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : rows.values()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |%n",
              row.workload(),
              row.opsPerSecond(),
              figure(row.p50Micros(), "%.0f"),
              figure(row.p99Micros(), "%.0f"),
              figure(row.p999Micros(), "%.0f"),
              figure(row.mutationsPerCommit(), "%.1f"),
              figure(row.serverCpuMicros(), "%.0f"),
              figure(row.clientCpuMicros(), "%.0f"),
              figure(row.machineBusyPercent(), "%.0f%%"),
              row.errors()));
    }
    md.append('\n');
    ratios(rows).forEach(line -> md.append("- ").append(line).append('\n'));
    return new Rendered(md.toString(), passed);
  }

  private static List<String> ratios(Map<String, Row> rows) {
    List<String> lines = new ArrayList<>();
    Row incr = rows.get("meridian counter-incr");
    Row add = rows.get("meridian set-add");
    Row hello = rows.get("hello");
    if (incr != null && hello != null && hello.opsPerSecond() > 0) {
      double ratio = incr.opsPerSecond() / hello.opsPerSecond();
      lines.add(
          String.format(
              Locale.ROOT,
              "Meridian counter-incr / hello-world: **%.1f%%** (target ≥ %.0f%%: %s)",
              100 * ratio,
              100 * HELLO_TARGET,
              ratio >= HELLO_TARGET ? "met" : "**not met**"));
      cpuBoundRatio(incr, hello)
          .ifPresent(
              projected ->
                  lines.add(
                      String.format(
                          Locale.ROOT,
                          "CPU-bound projection of that ratio, from CPU per request (server +"
                              + " generator, both on the same cores): %.1f%%",
                          100 * projected)));
    }
    redisRatio(lines, incr, rows.get("redis INCR"), "counter-incr", "incr");
    redisRatio(lines, add, rows.get("redis SADD"), "set-add", "sadd");
    redisRatio(lines, add, rows.get("redis SADD (new members)"), "set-add", "sadd of new members");
    return lines;
  }

  /**
   * When client and server saturate the same cores, ops/s is inversely proportional to the CPU one
   * request costs both of them; this ratio of those costs is what the ops/s ratio would be on an
   * otherwise idle machine (fsync waits aside).
   */
  static OptionalDouble cpuBoundRatio(Row meridian, Row hello) {
    if (meridian.serverCpuMicros().isEmpty()
        || meridian.clientCpuMicros().isEmpty()
        || hello.serverCpuMicros().isEmpty()
        || hello.clientCpuMicros().isEmpty()) {
      return OptionalDouble.empty();
    }
    double meridianCost =
        meridian.serverCpuMicros().getAsDouble() + meridian.clientCpuMicros().getAsDouble();
    double helloCost =
        hello.serverCpuMicros().getAsDouble() + hello.clientCpuMicros().getAsDouble();
    return OptionalDouble.of(helloCost / meridianCost);
  }

  private static void redisRatio(
      List<String> lines, Row meridian, Row redis, String meridianName, String redisName) {
    if (meridian != null && redis != null && redis.opsPerSecond() > 0) {
      lines.add(
          String.format(
              Locale.ROOT,
              "Meridian %s / Redis %s: **%.1f%%**",
              meridianName,
              redisName,
              100 * meridian.opsPerSecond() / redis.opsPerSecond()));
    }
  }

  /**
   * A row from a generator's JSON; {@code phase} is the path of the phase's files without their
   * extension ({@code .cpu}, {@code .machine}).
   */
  private static Row generatorRow(
      String label, JsonObject result, String op, OptionalDouble mutationsPerCommit, Path phase) {
    JsonObject stats = result.getJsonObject("ops", new JsonObject()).getJsonObject(op);
    if (stats == null) {
      return new Row(
          label + " (no result)",
          0,
          OptionalDouble.empty(),
          OptionalDouble.empty(),
          OptionalDouble.empty(),
          mutationsPerCommit,
          OptionalDouble.empty(),
          OptionalDouble.empty(),
          OptionalDouble.empty(),
          "—");
    }
    JsonObject latency = stats.getJsonObject("latencyMicros");
    long errors = stats.getLong("errors", 0L);
    long ops = stats.getLong("ops", 0L);
    String errorText =
        errors == 0
            ? "0"
            : String.format(
                Locale.ROOT,
                "%d (%.2f%%) %s",
                errors,
                100.0 * errors / Math.max(1, ops + errors),
                stats.getJsonObject("errorsBy", new JsonObject()).encode());
    return new Row(
        label,
        stats.getDouble("opsPerSecond", 0.0),
        OptionalDouble.of(latency.getDouble("p50")),
        OptionalDouble.of(latency.getDouble("p99")),
        OptionalDouble.of(latency.getDouble("p999")),
        mutationsPerCommit,
        serverCpuMicros(readIfPresent(sibling(phase, ".cpu")), requests(result)),
        clientCpuMicros(result),
        machineBusyPercent(readIfPresent(sibling(phase, ".machine"))),
        errorText);
  }

  private static Path sibling(Path phase, String extension) {
    return phase.resolveSibling(phase.getFileName() + extension);
  }

  /**
   * The generator's own CPU per request over warm-up and measurement ({@code clientCpuSeconds} of
   * its JSON), or empty when it did not report it.
   */
  static OptionalDouble clientCpuMicros(JsonObject result) {
    JsonObject total = result.getJsonObject("total", new JsonObject());
    long requests =
        total.getLong("ops", 0L) + total.getLong("errors", 0L) + total.getLong("warmupOps", 0L);
    Double seconds = result.getDouble("clientCpuSeconds");
    return seconds == null || requests <= 0
        ? OptionalDouble.empty()
        : OptionalDouble.of(seconds * 1e6 / requests);
  }

  /** Every request a generator run completed: preload, warm-up and measurement. */
  static long requests(JsonObject result) {
    JsonObject measured = result.getJsonObject("total", new JsonObject());
    JsonObject preload =
        result.getJsonObject("preload", new JsonObject()).getJsonObject("total", new JsonObject());
    long requests = 0;
    for (JsonObject total : List.of(measured, preload)) {
      requests +=
          total.getLong("ops", 0L) + total.getLong("errors", 0L) + total.getLong("warmupOps", 0L);
    }
    return requests;
  }

  /**
   * Server CPU per request in microseconds, from a {@code .cpu} file ({@code ticksBefore ticksAfter
   * ticksPerSecond}); empty when the file is missing or nothing completed.
   */
  static OptionalDouble serverCpuMicros(String cpu, long requests) {
    String[] fields = cpu.strip().split("\\s+");
    if (fields.length != 3 || requests <= 0) {
      return OptionalDouble.empty();
    }
    double ticks = Double.parseDouble(fields[1]) - Double.parseDouble(fields[0]);
    double perSecond = Double.parseDouble(fields[2]);
    return OptionalDouble.of(ticks / perSecond * 1e6 / requests);
  }

  /**
   * The machine's busy share of the phase in percent, from a {@code .machine} file ({@code
   * busyBefore idleBefore busyAfter idleAfter}, clock ticks); empty when the file is missing or no
   * time passed.
   */
  static OptionalDouble machineBusyPercent(String machine) {
    String[] fields = machine.strip().split("\\s+");
    if (fields.length != 4) {
      return OptionalDouble.empty();
    }
    double busy = Double.parseDouble(fields[2]) - Double.parseDouble(fields[0]);
    double idle = Double.parseDouble(fields[3]) - Double.parseDouble(fields[1]);
    return busy + idle > 0 ? OptionalDouble.of(100 * busy / (busy + idle)) : OptionalDouble.empty();
  }

  /**
   * Rows from {@code peer-redis.sh -C} output, keyed {@code "redis " + TEST + suffix} (e.g. {@code
   * redis INCR}): its first line names the server, then redis-benchmark's CSV ({@code
   * "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
   * "p99_latency_ms","max_latency_ms"}). redis-benchmark reports no p99.9.
   */
  static Map<String, Row> redisRows(String output, String suffix) {
    String version = "Redis";
    Map<String, Row> rows = new LinkedHashMap<>();
    List<String> header = List.of();
    for (String line : output.split("\n")) {
      if (line.startsWith("Redis server v=")) {
        version = "Redis " + line.substring("Redis server v=".length()).split("[ ,]")[0];
      } else if (line.startsWith("\"test\"")) {
        header = csv(line);
      } else if (line.startsWith("\"") && !header.isEmpty()) {
        List<String> cells = csv(line);
        String test = cells.get(header.indexOf("test"));
        rows.put(
            "redis " + test + suffix,
            new Row(
                version + " " + test.toLowerCase(Locale.ROOT) + suffix + ", appendfsync always",
                Double.parseDouble(cells.get(header.indexOf("rps"))),
                millisAsMicros(cells, header, "p50_latency_ms"),
                millisAsMicros(cells, header, "p99_latency_ms"),
                OptionalDouble.empty(),
                OptionalDouble.empty(),
                OptionalDouble.empty(),
                OptionalDouble.empty(),
                OptionalDouble.empty(),
                "—"));
      }
    }
    return rows;
  }

  private static OptionalDouble millisAsMicros(
      List<String> cells, List<String> header, String column) {
    int index = header.indexOf(column);
    return index < 0 || index >= cells.size()
        ? OptionalDouble.empty()
        : OptionalDouble.of(1000 * Double.parseDouble(cells.get(index)));
  }

  private static List<String> csv(String line) {
    List<String> cells = new ArrayList<>();
    for (String cell : line.split(",")) {
      cells.add(cell.strip().replace("\"", ""));
    }
    return cells;
  }

  /**
   * Average mutations per group commit between two scrapes of {@code /metrics}: the deltas of the
   * batch-size summary's {@code _sum} and {@code _count}; empty when nothing was committed.
   */
  static OptionalDouble mutationsPerCommit(String before, String after) {
    Optional<Double> sum0 = sample(before, BATCH_METRIC + "_sum");
    Optional<Double> sum1 = sample(after, BATCH_METRIC + "_sum");
    Optional<Double> count0 = sample(before, BATCH_METRIC + "_count");
    Optional<Double> count1 = sample(after, BATCH_METRIC + "_count");
    if (sum0.isEmpty() || sum1.isEmpty() || count0.isEmpty() || count1.isEmpty()) {
      return OptionalDouble.empty();
    }
    double commits = count1.get() - count0.get();
    return commits <= 0
        ? OptionalDouble.empty()
        : OptionalDouble.of((sum1.get() - sum0.get()) / commits);
  }

  /** The value of an unlabelled (or first labelled) sample in Prometheus text format. */
  static Optional<Double> sample(String exposition, String name) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        String[] parts = line.strip().split("\\s+");
        // name[{labels}] value [timestamp]; labels hold no spaces in Micrometer's output
        return Optional.of(Double.parseDouble(parts[1]));
      }
    }
    return Optional.empty();
  }

  private static String figure(OptionalDouble value, String format) {
    return value.isPresent() ? String.format(Locale.ROOT, format, value.getAsDouble()) : "—";
  }

  private static JsonObject readJson(Path file) throws IOException {
    String text = read(file).strip();
    // The generator prints one JSON line; anything before it (a stray log line) is skipped.
    int start = text.lastIndexOf("\n{");
    return new JsonObject(start < 0 ? text : text.substring(start + 1));
  }

  private static String readIfPresent(Path file) {
    return Files.exists(file) ? read(file) : "";
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
