package io.meridian.benchmarks.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the generator end to end against an in-process {@link HelloWorldServer}. */
class LoadGeneratorTest {
  private static Vertx server;
  private static int port;

  @BeforeAll
  static void startServer() {
    JulLogging.install();
    server = Vertx.vertx();
    port = HelloWorldServer.deploy(server, "127.0.0.1", 0, 2).await();
  }

  @AfterAll
  static void stopServer() {
    server.close().await();
  }

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int exitCode =
        LoadGenerator.commandLine()
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  @Test
  void hello_againstHelloWorldServer_succeedsWithJson() {
    Run run =
        run(
            "--url", "http://127.0.0.1:" + port,
            "--mix", "hello=1",
            "--connections", "4",
            "--duration", "500ms",
            "--warmup", "0s",
            "--output", "json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    var json = new JsonObject(run.out().trim());
    assertThat(json.getBoolean("passed")).isTrue();
    assertThat(json.getJsonObject("settings").getInteger("connections")).isEqualTo(4);
    var hello = json.getJsonObject("ops").getJsonObject("hello");
    assertThat(hello.getLong("ops")).isPositive();
    assertThat(hello.getLong("errors")).isZero();
    assertThat(hello.getJsonObject("latencyMicros").getLong("max"))
        .isGreaterThanOrEqualTo(hello.getJsonObject("latencyMicros").getLong("p50"));
  }

  @Test
  void warmup_isCountedApartFromTheMeasurement() {
    Run run =
        run(
            "--url", "http://127.0.0.1:" + port,
            "--mix", "hello=1",
            "--connections", "2",
            "--duration", "300ms",
            "--warmup", "300ms",
            "--output", "json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    var total = new JsonObject(run.out().trim()).getJsonObject("total");
    assertThat(total.getLong("warmupOps")).isPositive();
    assertThat(total.getLong("ops")).isPositive();
  }

  @Test
  void keyGet_onServerWithoutKeys_countsErrorsAndFails() {
    // The hello-world server answers 404 for every key: misses, not errors, for key-get ...
    Run gets =
        run(
            "--url", "http://127.0.0.1:" + port,
            "--mix", "key-get=1",
            "--connections", "2",
            "--duration", "300ms",
            "--warmup", "0s",
            "--output", "json");
    // ... but errors for a counter increment, which fails the run.
    Run incrs =
        run(
            "--url", "http://127.0.0.1:" + port,
            "--connections", "2",
            "--duration", "300ms",
            "--warmup", "0s",
            "--output", "json");

    assertThat(gets.exitCode()).as(gets.err()).isZero();
    var get = new JsonObject(gets.out().trim()).getJsonObject("ops").getJsonObject("key-get");
    assertThat(get.getLong("misses")).isEqualTo(get.getLong("ops")).isPositive();
    assertThat(incrs.exitCode()).isEqualTo(1);
    var incr =
        new JsonObject(incrs.out().trim()).getJsonObject("ops").getJsonObject("counter-incr");
    assertThat(incr.getJsonObject("errorsBy").getLong("404")).isEqualTo(incr.getLong("errors"));
    assertThat(incrs.err()).contains("failed");
  }

  @Test
  void preload_writesEveryKey_soGetsHit() {
    // A stand-in for a node's LWW keyspace: PUT stores, GET answers 200 or 404.
    var stored = new ConcurrentHashMap<String, Buffer>();
    int keysPort =
        server
            .createHttpServer()
            .requestHandler(
                request ->
                    request
                        .body()
                        .onSuccess(
                            body -> {
                              if (request.method() == HttpMethod.PUT) {
                                stored.put(request.path(), body);
                                request.response().end("{}");
                              } else if (stored.containsKey(request.path())) {
                                request.response().end(stored.get(request.path()));
                              } else {
                                request.response().setStatusCode(404).end();
                              }
                            }))
            .listen(0, "127.0.0.1")
            .await()
            .actualPort();

    Run run =
        run(
            "--url",
            "http://127.0.0.1:" + keysPort,
            "--preload",
            "--keys",
            "300",
            "--value-bytes",
            "16",
            "--mix",
            "key-get=1",
            "--connections",
            "8",
            "--duration",
            "300ms",
            "--warmup",
            "0s",
            "--output",
            "json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    var json = new JsonObject(run.out().trim());
    assertThat(json.getJsonObject("preload").getJsonObject("total").getLong("ops")).isEqualTo(300);
    assertThat(stored).hasSize(300).containsKeys("/v1/keys/bench-0", "/v1/keys/bench-299");
    assertThat(stored.get("/v1/keys/bench-0").length()).isEqualTo(16);
    var get = json.getJsonObject("ops").getJsonObject("key-get");
    assertThat(get.getLong("ops")).isPositive();
    assertThat(get.getLong("misses")).isZero();
  }

  @Test
  void badMix_exitsTwoWithTheReason() {
    Run run = run("--mix", "counter-incr=1,frobnicate=2");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("unknown op 'frobnicate'");
  }

  @Test
  void badDuration_exitsTwo() {
    Run run = run("--duration", "soon");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("not a duration");
  }
}
