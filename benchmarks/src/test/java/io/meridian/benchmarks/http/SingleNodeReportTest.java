package io.meridian.benchmarks.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SingleNodeReportTest {
  @TempDir Path dir;

  private static String metrics(double sum, double count) {
    return "# HELP meridian_storage_batch_mutations Mutations committed per LMDB transaction\n"
        + "# TYPE meridian_storage_batch_mutations histogram\n"
        + "meridian_storage_batch_mutations_bucket{le=\"1.0\"} 2\n"
        + "meridian_storage_batch_mutations_count "
        + count
        + "\n"
        + "meridian_storage_batch_mutations_sum "
        + sum
        + "\n"
        + "meridian_storage_batch_mutations_max 40.0\n";
  }

  private static String generatorJson(String op, double opsPerSecond, long errors) {
    return new JsonObject()
        .put("settings", new JsonObject())
        .put(
            "ops",
            new JsonObject()
                .put(
                    op,
                    new JsonObject()
                        .put("ops", 1000)
                        .put("opsPerSecond", opsPerSecond)
                        .put(
                            "latencyMicros",
                            new JsonObject().put("p50", 800).put("p99", 2100).put("p999", 5300))
                        .put("errors", errors)
                        .put(
                            "errorsBy",
                            errors == 0 ? new JsonObject() : new JsonObject().put("503", errors))))
        .put("total", new JsonObject().put("ops", 1000).put("errors", errors).put("warmupOps", 250))
        .put("clientCpuSeconds", 0.025)
        .put("passed", errors == 0)
        .encode();
  }

  @Test
  void mutationsPerCommit_isTheRatioOfSumAndCountDeltas() {
    assertThat(
            SingleNodeReport.mutationsPerCommit(metrics(100, 10), metrics(1100, 60)).getAsDouble())
        .isEqualTo(20.0);
    assertThat(SingleNodeReport.mutationsPerCommit(metrics(5, 1), metrics(5, 1))).isEmpty();
    assertThat(SingleNodeReport.mutationsPerCommit("", metrics(5, 1))).isEmpty();
  }

  @Test
  void redisRows_readTheCsvInMicroseconds() {
    String out =
        "Redis server v=7.0.15, pid 1, 127.0.0.1:4000, appendfsync always, data in /x (ext2/ext3)\n"
            + "redis-benchmark -c 50 -n 5000 -r 10000 -t incr,sadd --csv\n"
            + "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
            + "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n"
            + "\"INCR\",\"44642.86\",\"1.039\",\"0.408\",\"0.727\",\"2.663\",\"3.551\",\"5.695\"\n";

    var rows = SingleNodeReport.redisRows(out, "");

    assertThat(rows).containsOnlyKeys("redis INCR");
    var incr = rows.get("redis INCR");
    assertThat(incr.workload()).isEqualTo("Redis 7.0.15 incr, appendfsync always");
    assertThat(incr.opsPerSecond()).isEqualTo(44642.86);
    assertThat(incr.p50Micros().getAsDouble()).isEqualTo(727.0);
    assertThat(incr.p99Micros().getAsDouble()).isEqualTo(3551.0);
    assertThat(incr.p999Micros()).isEmpty();
  }

  @Test
  void render_tabulatesEveryPhaseAndTheRatios() throws IOException {
    Files.writeString(dir.resolve("environment.md"), "| machine | 2 cores |\n");
    Files.writeString(
        dir.resolve("meridian-counter-incr.json"),
        "a log line\n" + generatorJson("counter-incr", 4000, 0));
    Files.writeString(dir.resolve("meridian-counter-incr.metrics-before"), metrics(10, 5));
    Files.writeString(dir.resolve("meridian-counter-incr.metrics-after"), metrics(1010, 55));
    // 125 ticks at 100/s = 1.25 s of CPU over 1250 requests (1000 measured + 250 warm-up)
    Files.writeString(dir.resolve("meridian-counter-incr.cpu"), "1000 1125 100\n");
    // 150 busy and 50 idle ticks: the cores were 75% busy
    Files.writeString(dir.resolve("meridian-counter-incr.machine"), "500 900 650 950\n");
    Files.writeString(dir.resolve("meridian-key-get.json"), generatorJson("key-get", 9000, 0));
    Files.writeString(dir.resolve("hello.json"), generatorJson("hello", 10000, 0));
    Files.writeString(dir.resolve("hello.cpu"), "0 5 100\n"); // 50 ms over 1250 requests: 40 µs
    Files.writeString(
        dir.resolve("redis.out"),
        "Redis server v=7.0.15, pid 1\n\"test\",\"rps\",\"p50_latency_ms\",\"p99_latency_ms\"\n"
            + "\"INCR\",\"8000\",\"1.0\",\"2.0\"\n");

    var rendered = SingleNodeReport.render(dir, "Title");

    assertThat(rendered.passed()).isTrue();
    assertThat(rendered.markdown())
        .startsWith("# Title\n\n| | |\n|---|---|\n| machine | 2 cores |\n")
        .contains(
            "| Meridian counter-incr | 4000 | 800 | 2100 | 5300 | 20.0 | 1000 | 20 | 75% | 0 |")
        .contains(
            "| Meridian key-get (preloaded keys) | 9000 | 800 | 2100 | 5300 | — | — | 20 | — | 0 |")
        .contains("| Vert.x hello-world (baseline) | 10000 |")
        .contains(
            "| Redis 7.0.15 incr, appendfsync always | 8000 | 1000 | 2000 | — | — | — | — | — | — |")
        .contains("Meridian counter-incr / hello-world: **40.0%** (target ≥ 40%: met)")
        // (40 + 20) / (1000 + 20)
        .contains("from CPU per request (server + generator, both on the same cores): 5.9%")
        .contains("Meridian counter-incr / Redis incr: **50.0%**")
        .doesNotContain("set-add");
  }

  @Test
  void requests_countPreloadWarmupAndMeasurement() {
    var result =
        new JsonObject()
            .put("preload", new JsonObject().put("total", new JsonObject().put("ops", 300)))
            .put("total", new JsonObject().put("ops", 1000).put("errors", 2).put("warmupOps", 50));

    assertThat(SingleNodeReport.requests(result)).isEqualTo(1352);
    assertThat(SingleNodeReport.serverCpuMicros("10 20 100", 1000).getAsDouble()).isEqualTo(100.0);
    assertThat(SingleNodeReport.serverCpuMicros("", 1000)).isEmpty();
  }

  @Test
  void machineBusyPercent_isTheBusyShareOfTheTicksThatPassed() {
    assertThat(SingleNodeReport.machineBusyPercent("100 300 160 320\n").getAsDouble())
        .isEqualTo(75.0);
    assertThat(SingleNodeReport.machineBusyPercent("")).isEmpty();
    assertThat(SingleNodeReport.machineBusyPercent("5 5 5 5")).isEmpty();
  }

  @Test
  void render_failsWhenAPhaseFailed() throws IOException {
    Files.writeString(dir.resolve("meridian-set-add.json"), generatorJson("set-add", 100, 50));

    var rendered = SingleNodeReport.render(dir, "Title");

    assertThat(rendered.passed()).isFalse();
    assertThat(rendered.markdown()).contains("| 50 (4.76%) {\"503\":50} |");
  }
}
