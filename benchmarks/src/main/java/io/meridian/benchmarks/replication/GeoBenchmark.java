package io.meridian.benchmarks.replication;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Geo-replication figures against a running multi-region cluster (see {@code
 * benchmarks/run-geo.sh}, which starts it with an injected inter-region delay):
 *
 * <ul>
 *   <li>{@code lag}: time from an acknowledged write in region A to its visibility in region C,
 *       p50/p99 over sequential writes, polled every 2 ms;
 *   <li>{@code bandwidth}: an OR-set of 10,000 elements receiving 100 adds/removes per second in
 *       region A — bytes shipped to the other regions as deltas, beside what shipping the full
 *       state in each shipment would have cost.
 * </ul>
 *
 * <p>Usage: {@code GeoBenchmark lag URL_A URL_C [writes]} or {@code GeoBenchmark bandwidth URL_A
 * [seconds]}. Prints one JSON object.
 */
public final class GeoBenchmark {
  // One request at a time, so a plain blocking client: the Vert.x 5.0.x pooled client stalled
  // here after a few thousand keep-alive requests (see LoadVerticle on eclipse-vertx/vert.x#6169).
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public static void main(String[] args) throws Exception {
    GeoBenchmark benchmark = new GeoBenchmark();
    JsonObject result =
        switch (args[0]) {
          case "lag" ->
              benchmark.lag(
                  URI.create(args[1]),
                  URI.create(args[2]),
                  args.length > 3 ? Integer.parseInt(args[3]) : 300);
          case "bandwidth" ->
              benchmark.bandwidth(
                  URI.create(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 30);
          default -> throw new IllegalArgumentException("lag or bandwidth, not " + args[0]);
        };
    System.out.println(result.encodePrettily());
  }

  private JsonObject lag(URI writer, URI reader, int writes) throws Exception {
    Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
    String run = Long.toString(System.currentTimeMillis(), 36);
    int timedOut = 0;
    for (int i = 0; i < writes; i++) {
      String path = "/v1/keys/lag-" + run + "-" + i;
      Reply put = request(writer, "PUT", path, ("v" + i).getBytes(StandardCharsets.UTF_8));
      if (put.status() != 200) {
        throw new IllegalStateException("PUT answered " + put.status() + ": " + put.body());
      }
      long acknowledged = System.nanoTime();
      long deadline = acknowledged + TimeUnit.SECONDS.toNanos(30);
      while (request(reader, "GET", path, null).status() != 200) {
        if (System.nanoTime() > deadline) {
          timedOut++;
          break;
        }
        Thread.sleep(2);
      }
      histogram.recordValue((System.nanoTime() - acknowledged) / 1000);
    }
    return new JsonObject()
        .put("writes", writes)
        .put("timedOut", timedOut)
        .put("p50Ms", histogram.getValueAtPercentile(50) / 1000.0)
        .put("p99Ms", histogram.getValueAtPercentile(99) / 1000.0)
        .put("maxMs", histogram.getMaxValue() / 1000.0);
  }

  private JsonObject bandwidth(URI writer, int seconds) throws Exception {
    String key = "/v1/sets/bandwidth-" + Long.toString(System.currentTimeMillis(), 36);
    for (int batch = 0; batch < 20; batch++) {
      JsonArray add = new JsonArray();
      for (int i = 0; i < 500; i++) {
        add.add("element-" + (batch * 500 + i));
      }
      request(
          writer,
          "POST",
          key,
          new JsonObject().put("add", add).toString().getBytes(StandardCharsets.UTF_8));
    }
    Thread.sleep(3_000); // let the preload ship, so the measurement sees steady state only
    JsonObject before = status(writer);
    long stateBytes = encodedBytes(writer, key);
    long started = System.nanoTime();
    int next = 10_000;
    int oldest = 0;
    for (int op = 0; op < seconds * 100; op++) {
      long due = started + TimeUnit.MILLISECONDS.toNanos(op * 10L);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      JsonObject body =
          op % 2 == 0
              ? new JsonObject().put("add", new JsonArray().add("element-" + next++))
              : new JsonObject().put("remove", new JsonArray().add("element-" + oldest++));
      request(writer, "POST", key, body.toString().getBytes(StandardCharsets.UTF_8));
    }
    Thread.sleep(3_000); // the last shipments are acknowledged
    double elapsed = (System.nanoTime() - started) / 1e9;
    JsonObject after = status(writer);
    JsonObject regions = new JsonObject();
    for (String region : after.getJsonObject("regions").fieldNames()) {
      JsonObject a = after.getJsonObject("regions").getJsonObject(region);
      JsonObject b = before.getJsonObject("regions").getJsonObject(region, new JsonObject());
      long deltaBytes = a.getLong("deltaBytesSent") - b.getLong("deltaBytesSent", 0L);
      long shipments = a.getLong("shipments") - b.getLong("shipments", 0L);
      long fullStateBytes = shipments * stateBytes;
      regions.put(
          region,
          new JsonObject()
              .put("deltaBytesPerSecond", Math.round(deltaBytes / elapsed))
              .put("shipments", shipments)
              .put("fullStateBytesPerSecond", Math.round(fullStateBytes / elapsed))
              .put("ratio", deltaBytes == 0 ? null : fullStateBytes / (double) deltaBytes));
    }
    return new JsonObject()
        .put("elements", 10_000)
        .put("opsPerSecond", 100)
        .put("seconds", elapsed)
        .put("stateBytes", stateBytes)
        .put("regions", regions);
  }

  private long encodedBytes(URI node, String key) throws Exception {
    JsonObject explain = request(node, "GET", key + "?explain=true", null).json();
    return explain.getJsonArray("replicas").getJsonObject(0).getLong("bytes");
  }

  private JsonObject status(URI node) throws Exception {
    return request(node, "GET", "/v1/cluster/status", null).json();
  }

  private record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private Reply request(URI base, String method, String path, byte[] body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", method.equals("PUT") ? "text/plain" : "application/json")
            .method(
                method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body))
            .build();
    var response = client.send(request, BodyHandlers.ofString());
    return new Reply(response.statusCode(), response.body());
  }
}
