package io.meridian.benchmarks.http;

import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Latency percentiles, throughput and errors per {@link Op}, recorded on one event loop and merged
 * across loops at the end.
 *
 * <p>Latency is recorded in microseconds with three significant digits (HdrHistogram, Gil Tene),
 * only for successful requests: a fast 503 would otherwise flatter the percentiles. A {@code
 * key-get} answered 404 is a success and counts as a miss. Errors are every other non-2xx status
 * and every exception, counted per status or exception type.
 *
 * <p>The loops are closed (the next request waits for the previous answer), so a server stall
 * delays requests instead of queueing them, and the percentiles understate what an open-loop client
 * would see (coordinated omission). Compare runs of the same generator, not absolute numbers with
 * an open-loop tool.
 *
 * <p>Not thread-safe: each {@link LoadVerticle} owns one and touches it only on its event loop.
 */
final class LatencyReport {
  private static final int SIGNIFICANT_DIGITS = 3;

  private final EnumMap<Op, OpStats> byOp = new EnumMap<>(Op.class);
  // Requests that completed but were sent before measuring began (warm-up), success or not.
  private long warmupCompletions;
  private long lastCompletionNanos;
  private boolean anyCompletion;

  /** Counts of one op. */
  static final class OpStats {
    private final Histogram latencyMicros = new Histogram(SIGNIFICANT_DIGITS);
    private long misses;
    // Keyed by HTTP status ("503") or "exception:Type"; sorted so reports list them in order.
    private final TreeMap<String, Long> errors = new TreeMap<>();

    long successes() {
      return latencyMicros.getTotalCount();
    }

    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    private void merge(OpStats other) {
      latencyMicros.add(other.latencyMicros);
      misses += other.misses;
      other.errors.forEach((key, count) -> errors.merge(key, count, Long::sum));
    }
  }

  void recordResponse(Op op, int status, long latencyNanos, long completedNanos) {
    OpStats stats = stats(op);
    boolean miss = status == 404 && op.notFoundIsMiss();
    if (status / 100 == 2 || miss) {
      stats.latencyMicros.recordValue(TimeUnit.NANOSECONDS.toMicros(latencyNanos));
      if (miss) {
        stats.misses++;
      }
    } else {
      stats.errors.merge(Integer.toString(status), 1L, Long::sum);
    }
    completed(completedNanos);
  }

  void recordFailure(Op op, Throwable cause, long completedNanos) {
    stats(op).errors.merge("exception:" + cause.getClass().getSimpleName(), 1L, Long::sum);
    completed(completedNanos);
  }

  /**
   * Counts a request that completed but is not recorded (sent during warm-up): the server did the
   * work all the same, which is what per-request server CPU divides by.
   */
  void recordWarmup() {
    warmupCompletions++;
  }

  long warmupCompletions() {
    return warmupCompletions;
  }

  /** Adds {@code other} into this report. */
  void merge(LatencyReport other) {
    other.byOp.forEach((op, stats) -> stats(op).merge(stats));
    warmupCompletions += other.warmupCompletions;
    if (other.anyCompletion) {
      completed(other.lastCompletionNanos);
    }
  }

  /** When the last recorded request completed, or {@code fallbackNanos} if none did. */
  long lastCompletionNanos(long fallbackNanos) {
    return anyCompletion ? lastCompletionNanos : fallbackNanos;
  }

  /** Makes {@code op} appear in the report even if none of its requests completed. */
  void include(Op op) {
    stats(op);
  }

  long successes() {
    return byOp.values().stream().mapToLong(OpStats::successes).sum();
  }

  long errors() {
    return byOp.values().stream().mapToLong(OpStats::errorCount).sum();
  }

  /** Errors over all completed requests; 0 when nothing completed. */
  double errorRatio() {
    long all = successes() + errors();
    return all == 0 ? 0 : (double) errors() / all;
  }

  /** The report as JSON; {@code seconds} is the measured wall time the rates divide by. */
  JsonObject toJson(double seconds) {
    var ops = new JsonObject();
    byOp.forEach((op, stats) -> ops.put(op.cliName(), toJson(stats, seconds)));
    return new JsonObject()
        .put("seconds", round(seconds))
        .put(
            "total",
            new JsonObject()
                .put("ops", successes())
                .put("opsPerSecond", round(successes() / seconds))
                .put("errors", errors())
                .put("errorRatio", errorRatio())
                .put("warmupOps", warmupCompletions))
        .put("ops", ops);
  }

  private static JsonObject toJson(OpStats stats, double seconds) {
    Histogram h = stats.latencyMicros;
    var errors = new JsonObject();
    stats.errors.forEach(errors::put);
    return new JsonObject()
        .put("ops", stats.successes())
        .put("opsPerSecond", round(stats.successes() / seconds))
        .put("misses", stats.misses)
        .put(
            "latencyMicros",
            new JsonObject()
                .put("p50", h.getValueAtPercentile(50))
                .put("p99", h.getValueAtPercentile(99))
                .put("p999", h.getValueAtPercentile(99.9))
                .put("max", h.getMaxValue())
                .put("mean", round(h.getMean())))
        .put("errors", stats.errorCount())
        .put("errorsBy", errors);
  }

  /** A table for people; same numbers as {@link #toJson}. */
  String toText(double seconds) {
    var out = new StringBuilder();
    String format = "%-13s %12s %11s %9s %9s %9s %9s %9s %8s%n";
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "op",
            "ops",
            "ops/s",
            "p50 us",
            "p99 us",
            "p99.9 us",
            "max us",
            "misses",
            "errors"));
    byOp.forEach(
        (op, stats) -> {
          Histogram h = stats.latencyMicros;
          out.append(
              String.format(
                  Locale.ROOT,
                  format,
                  op.cliName(),
                  stats.successes(),
                  String.format(Locale.ROOT, "%.1f", stats.successes() / seconds),
                  h.getValueAtPercentile(50),
                  h.getValueAtPercentile(99),
                  h.getValueAtPercentile(99.9),
                  h.getMaxValue(),
                  stats.misses,
                  stats.errorCount()));
        });
    out.append(
        String.format(
            Locale.ROOT,
            "total: %d ops in %.2f s = %.1f ops/s, %d errors (%.3f%%)%n",
            successes(),
            seconds,
            successes() / seconds,
            errors(),
            100 * errorRatio()));
    byOp.forEach(
        (op, stats) -> {
          if (!stats.errors.isEmpty()) {
            out.append("errors ").append(op.cliName()).append(": ").append(stats.errors);
            out.append(System.lineSeparator());
          }
        });
    return out.toString();
  }

  private OpStats stats(Op op) {
    return byOp.computeIfAbsent(op, unused -> new OpStats());
  }

  private void completed(long nanos) {
    if (!anyCompletion || nanos - lastCompletionNanos > 0) {
      lastCompletionNanos = nanos;
    }
    anyCompletion = true;
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
