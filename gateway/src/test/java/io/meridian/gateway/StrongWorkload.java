package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.replication.strong.History;
import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The strong-key workload of the process tests: {@code clients} clients, each one request at a time
 * to a random node, over {@code keys} keys: 50% linearizable GET, 25% PUT of a unique value, 25%
 * compare-and-set on the last revision this client saw of the key. Every operation is recorded with
 * its call and return times ({@link History.Recorder}, one JSON line each).
 *
 * <p>Each line also names the node the request went to ({@code "node"}).
 *
 * <p>Outcomes: 200, 404 and 412 are definite; 503 is a failure (nothing happened, dropped by the
 * checker); 504, a timeout or a connection broken after the request was sent leave a write's
 * outcome unknown. A read that did not answer is dropped (it changed nothing).
 */
final class StrongWorkload implements AutoCloseable {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final Nodes nodes;
  private final History.Recorder recorder;
  private final int keys;
  private final long origin;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, AtomicLong> unexpected = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> timeoutCauses = new ConcurrentHashMap<>();

  /**
   * The nodes the clients talk to: a {@link StrongCluster} on loopback, or nodes in network
   * namespaces ({@link StrongWorkloadProcess}).
   */
  interface Nodes {
    int size();

    String id(int node);

    URI uri(int node, String pathAndQuery);
  }

  /**
   * @param origin the {@link System#nanoTime()} that is time 0 of the history
   */
  StrongWorkload(Nodes nodes, History.Recorder recorder, int keys, long origin) {
    this.nodes = nodes;
    this.recorder = recorder;
    this.keys = keys;
    this.origin = origin;
  }

  static String key(int k) {
    return "k" + k;
  }

  void start(int clients, long seed) {
    for (int c = 0; c < clients; c++) {
      String process = "c" + c;
      SplittableRandom random = new SplittableRandom(seed * 31 + c);
      Thread thread = new Thread(() -> run(process, random), "strong-client-" + c);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Unexpected answers (not 200/404/412/503/504) by status, e.g. {@code "500": 2}. */
  Map<String, Long> unexpected() {
    Map<String, Long> counts = new HashMap<>();
    unexpected.forEach((status, count) -> counts.put(status, count.get()));
    return counts;
  }

  /**
   * Why writes answered 504, by the problem's detail with group ids and numbers masked, e.g. {@code
   * "... (GroupMismatchException: nN: group-G not found.) ...": 12}: which path left outcomes
   * unknown.
   */
  Map<String, Long> timeoutCauses() {
    Map<String, Long> counts = new TreeMap<>();
    timeoutCauses.forEach((cause, count) -> counts.put(cause, count.get()));
    return counts;
  }

  private void run(String process, SplittableRandom random) {
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    Map<String, Long> lastSeen = new HashMap<>();
    long sequence = 0;
    while (!stopping.get()) {
      String key = key(random.nextInt(keys));
      int node = random.nextInt(nodes.size());
      int dice = random.nextInt(100);
      Op op;
      if (dice < 50) {
        op = read(http, process, node, key);
      } else {
        String value = process + "-" + (++sequence);
        Long expected = lastSeen.get(key);
        op =
            dice < 75 || expected == null
                ? write(http, process, node, key, value, 0)
                : write(http, process, node, key, value, expected);
      }
      recorder.record(op, nodes.id(node));
      if (op.outcome() == Outcome.OK && (op.status() == 200 || op.status() == 412)) {
        if (op.revision() > 0) {
          lastSeen.put(key, op.revision());
        }
      }
    }
  }

  /** A linearizable GET of {@code key} through node {@code node}. */
  Op read(HttpClient http, String process, int node, String key) {
    HttpRequest request =
        HttpRequest.newBuilder(nodes.uri(node, "/v1/strong/" + key))
            .timeout(REQUEST_TIMEOUT)
            .GET()
            .build();
    long call = now();
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      long ret = now();
      return switch (response.statusCode()) {
        case 200 ->
            new Op(
                process,
                key,
                Kind.READ,
                new String(response.body(), UTF_8),
                0,
                Outcome.OK,
                200,
                etag(response),
                call,
                ret);
        case 404 -> new Op(process, key, Kind.READ, null, 0, Outcome.OK, 404, 0, call, ret);
        default -> {
          if (response.statusCode() != 503) {
            count(response.statusCode());
          }
          yield new Op(
              process, key, Kind.READ, null, 0, Outcome.FAIL, response.statusCode(), 0, call, ret);
        }
      };
    } catch (IOException e) {
      return new Op(process, key, Kind.READ, null, 0, Outcome.FAIL, 0, 0, call, now());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Op(process, key, Kind.READ, null, 0, Outcome.FAIL, 0, 0, call, now());
    }
  }

  /** A PUT of {@code value}; a compare-and-set when {@code expected > 0}. */
  Op write(HttpClient http, String process, int node, String key, String value, long expected) {
    Kind kind = expected > 0 ? Kind.CAS : Kind.WRITE;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(nodes.uri(node, "/v1/strong/" + key))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "text/plain")
            .PUT(HttpRequest.BodyPublishers.ofString(value, UTF_8));
    if (expected > 0) {
      request.header("If-Match", "\"" + expected + "\"");
    }
    long call = now();
    try {
      HttpResponse<byte[]> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      long ret = now();
      int status = response.statusCode();
      return switch (status) {
        case 200 ->
            new Op(
                process,
                key,
                kind,
                value,
                expected,
                Outcome.OK,
                200,
                new JsonObject(new String(response.body(), UTF_8)).getLong("revision"),
                call,
                ret);
        case 412 ->
            new Op(process, key, kind, value, expected, Outcome.OK, 412, etag(response), call, ret);
        case 503 -> new Op(process, key, kind, value, expected, Outcome.FAIL, 503, 0, call, ret);
        case 504 -> {
          countTimeout(response.body());
          yield new Op(process, key, kind, value, expected, Outcome.UNKNOWN, 504, 0, call, ret);
        }
        default -> {
          count(status);
          yield new Op(process, key, kind, value, expected, Outcome.UNKNOWN, status, 0, call, ret);
        }
      };
    } catch (HttpConnectTimeoutException | ConnectException e) {
      // Never connected: the request was not sent.
      return new Op(process, key, kind, value, expected, Outcome.FAIL, 0, 0, call, now());
    } catch (IOException e) {
      if (e.getCause() instanceof ConnectException) {
        return new Op(process, key, kind, value, expected, Outcome.FAIL, 0, 0, call, now());
      }
      return new Op(process, key, kind, value, expected, Outcome.UNKNOWN, 0, 0, call, now());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Op(process, key, kind, value, expected, Outcome.UNKNOWN, 0, 0, call, now());
    }
  }

  private static long etag(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("ETag")
        .map(tag -> Long.parseLong(tag.replace("\"", "")))
        .orElse(0L);
  }

  private void countTimeout(byte[] problem) {
    String detail;
    try {
      detail = new JsonObject(new String(problem, UTF_8)).getString("detail", "");
    } catch (RuntimeException e) {
      detail = "(no problem body)";
    }
    String cause = detail.replaceAll("group-[0-9A-F]+", "group-G").replaceAll("[0-9]+", "N");
    timeoutCauses.computeIfAbsent(cause, c -> new AtomicLong()).incrementAndGet();
  }

  private void count(int status) {
    unexpected.computeIfAbsent(Integer.toString(status), s -> new AtomicLong()).incrementAndGet();
  }

  long now() {
    return System.nanoTime() - origin;
  }

  /** Stops the clients once their requests in flight have answered or timed out. */
  @Override
  public void close() throws InterruptedException {
    stopping.set(true);
    for (Thread thread : threads) {
      thread.join(REQUEST_TIMEOUT.plusSeconds(5).toMillis());
    }
  }
}
