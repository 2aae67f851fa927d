package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.assertj.core.api.SoftAssertions;

/**
 * Client threads writing to random nodes of a {@link ProcessCluster} until stopped: counter
 * increments of 1 ({@code POST /v1/counters/c<k>}) and set adds of unique elements ({@code POST
 * /v1/sets/s<k>}). Each request's outcome is recorded per key as a client knows it:
 *
 * <ul>
 *   <li><b>acknowledged</b>: 200;
 *   <li><b>unknown</b>: 504, no answer within the request timeout, a connection broken after the
 *       request may have been sent, or any unexpected status (also listed in {@link
 *       #unexpected()}): it may or may not have been applied;
 *   <li><b>not written</b>: 503 (API.md: "nothing written"), or a connection refused before the
 *       request was sent.
 * </ul>
 *
 * <p>After the load, {@link #assertNoAcknowledgedWriteLost} checks every node's own copy: a counter
 * lies between its acknowledged increments and those plus the unknown ones; a set holds every
 * acknowledged element, no element that was not written, and nothing that was never sent.
 */
final class WriteLoad implements AutoCloseable {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);
  private static final Duration CONVERGENCE = Duration.ofMinutes(1);
  private static final Duration REFUSED_BACKOFF = Duration.ofMillis(20);

  private final ProcessCluster cluster;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ExecutorService threads;
  private final Map<String, CounterOutcomes> counters = new LinkedHashMap<>();
  private final Map<String, SetOutcomes> sets = new LinkedHashMap<>();
  private final Map<Integer, AtomicLong> acknowledgedVia = new ConcurrentHashMap<>();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong unknown = new AtomicLong();
  private final AtomicLong notWritten = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();

  private WriteLoad(ProcessCluster cluster, int threadCount, int counterKeys, int setKeys) {
    this.cluster = cluster;
    for (int k = 0; k < counterKeys; k++) {
      counters.put("c" + k, new CounterOutcomes());
    }
    for (int k = 0; k < setKeys; k++) {
      sets.put("s" + k, new SetOutcomes());
    }
    this.threads = Executors.newFixedThreadPool(threadCount);
    for (int t = 0; t < threadCount; t++) {
      int thread = t;
      threads.execute(() -> run(thread, new SplittableRandom(thread)));
    }
  }

  /**
   * Starts {@code threads} client threads writing {@code counters} counters and {@code sets} sets.
   */
  static WriteLoad start(ProcessCluster cluster, int threads, int counters, int sets) {
    return new WriteLoad(cluster, threads, counters, sets);
  }

  long acknowledged() {
    return acknowledged.get();
  }

  /** Writes acknowledged by node {@code i} as coordinator. */
  long acknowledgedVia(int i) {
    AtomicLong count = acknowledgedVia.get(i);
    return count == null ? 0 : count.get();
  }

  /** Responses with a status that a write should never get (neither 200, 503 nor 504). */
  List<String> unexpected() {
    return List.copyOf(unexpected);
  }

  String summary() {
    return acknowledged.get()
        + " acknowledged, "
        + unknown.get()
        + " unknown, "
        + notWritten.get()
        + " not written ("
        + refused.get()
        + " of them refused connections), "
        + unexpected.size()
        + " unexpected";
  }

  long unknown() {
    return unknown.get();
  }

  long notWritten() {
    return notWritten.get();
  }

  /** Stops the client threads after their request in flight. Idempotent. */
  void stop() {
    running.set(false);
    threads.shutdown();
    try {
      if (!threads.awaitTermination(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("load threads did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (!threads.isTerminated()) {
      threads.shutdownNow();
      running.set(false);
    }
  }

  /**
   * Reads every key from every running node with {@code consistency=all}, which joins all the key's
   * copies and repairs those that were behind. Retries until every read answers with all replicas.
   */
  void readEveryKeyWithConsistencyAll() {
    String everyReplica = cluster.replicas() + "/" + cluster.replicas();
    await("every key read with consistency=all on every running node")
        .atMost(CONVERGENCE)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (int i : cluster.runningNodes()) {
                for (String path : paths()) {
                  Reply reply = cluster.get(i, path + "?consistency=all");
                  assertThat(reply.status()).as("%s from %s", path, cluster.id(i)).isIn(200, 404);
                  assertThat(reply.header(Problems.REPLICAS_HEADER))
                      .as("%s from %s", path, cluster.id(i))
                      .isEqualTo(everyReplica);
                }
              }
            });
  }

  /**
   * Waits until node {@code i}'s own copy ({@code consistency=one}) of every key that {@code paths}
   * accepts (e.g. {@code /v1/counters/c0}) holds every write acknowledged before the call.
   */
  void awaitCopyHoldsAcknowledged(int i, Predicate<String> paths) {
    Map<String, Long> counts = new LinkedHashMap<>();
    counters.forEach((key, outcomes) -> counts.put(key, outcomes.acknowledged.get()));
    Map<String, Set<String>> elements = new LinkedHashMap<>();
    sets.forEach((key, outcomes) -> elements.put(key, Set.copyOf(outcomes.acknowledged)));
    await("writes acknowledged so far in " + cluster.id(i) + "'s own copies")
        .atMost(CONVERGENCE)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (Map.Entry<String, Long> counter : counts.entrySet()) {
                String path = "/v1/counters/" + counter.getKey();
                if (paths.test(path)) {
                  Reply reply = cluster.get(i, path + "?consistency=one");
                  assertThat(reply.status())
                      .as("%s on %s: %s", path, cluster.id(i), reply)
                      .isEqualTo(200);
                  assertThat(reply.json().getLong("value"))
                      .as("%s on %s", path, cluster.id(i))
                      .isGreaterThanOrEqualTo(counter.getValue());
                }
              }
              for (Map.Entry<String, Set<String>> set : elements.entrySet()) {
                String path = "/v1/sets/" + set.getKey();
                if (paths.test(path)) {
                  Reply reply = cluster.get(i, path + "?consistency=one");
                  assertThat(reply.status())
                      .as("%s on %s: %s", path, cluster.id(i), reply)
                      .isEqualTo(200);
                  assertThat(reply.json().getJsonArray("elements").getList())
                      .as("%s on %s", path, cluster.id(i))
                      .containsAll(set.getValue());
                }
              }
            });
  }

  /** Waits until every running node's own copy ({@code consistency=one}) of every key is equal. */
  void awaitReplicasAgree() {
    await("every replica's copy of every key the same")
        .atMost(CONVERGENCE)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              for (String path : paths()) {
                Map<String, String> copies = new LinkedHashMap<>();
                for (int i : cluster.runningNodes()) {
                  Reply reply = cluster.get(i, path + "?consistency=one");
                  copies.put(cluster.id(i), reply.status() + " " + reply.text());
                }
                assertThat(new HashSet<>(copies.values()))
                    .as("copies of %s: %s", path, copies)
                    .hasSize(1);
              }
            });
  }

  /** Checks every running node's own copy of every key against what the clients were told. */
  void assertNoAcknowledgedWriteLost() {
    SoftAssertions softly = new SoftAssertions();
    for (int i : cluster.runningNodes()) {
      String node = cluster.id(i);
      for (Map.Entry<String, CounterOutcomes> counter : counters.entrySet()) {
        CounterOutcomes outcomes = counter.getValue();
        Reply reply = cluster.get(i, "/v1/counters/" + counter.getKey() + "?consistency=one");
        long value = reply.status() == 404 ? 0 : reply.json().getLong("value");
        long acked = outcomes.acknowledged.get();
        long maybe = outcomes.unknown.get();
        softly
            .assertThat(value)
            .as(
                "counter %s on %s: %d acknowledged, %d unknown, %d not written",
                counter.getKey(), node, acked, maybe, outcomes.notWritten.get())
            .isBetween(acked, acked + maybe);
      }
      for (Map.Entry<String, SetOutcomes> set : sets.entrySet()) {
        SetOutcomes outcomes = set.getValue();
        Reply reply = cluster.get(i, "/v1/sets/" + set.getKey() + "?consistency=one");
        Set<String> elements = new HashSet<>();
        if (reply.status() != 404) {
          JsonArray array = reply.json().getJsonArray("elements");
          array.forEach(e -> elements.add((String) e));
        }
        String what = "set " + set.getKey() + " on " + node;
        Set<String> missing = new HashSet<>(outcomes.acknowledged);
        missing.removeAll(elements);
        softly.assertThat(missing).as("%s: acknowledged elements missing", what).isEmpty();
        Set<String> resurrected = new HashSet<>(outcomes.notWritten);
        resurrected.retainAll(elements);
        softly.assertThat(resurrected).as("%s: elements of 503 answers present", what).isEmpty();
        Set<String> invented = new HashSet<>(elements);
        invented.removeAll(outcomes.acknowledged);
        invented.removeAll(outcomes.unknown);
        invented.removeAll(outcomes.notWritten);
        softly.assertThat(invented).as("%s: elements never sent", what).isEmpty();
      }
    }
    softly.assertAll();
  }

  /** The path of every key the load writes, e.g. {@code /v1/counters/c0}, {@code /v1/sets/s0}. */
  List<String> paths() {
    List<String> paths = new ArrayList<>();
    counters.keySet().forEach(key -> paths.add("/v1/counters/" + key));
    sets.keySet().forEach(key -> paths.add("/v1/sets/" + key));
    return paths;
  }

  private void run(int thread, SplittableRandom random) {
    List<String> counterKeys = List.copyOf(counters.keySet());
    List<String> setKeys = List.copyOf(sets.keySet());
    for (long n = 0; running.get(); n++) {
      int node = random.nextInt(cluster.size());
      if (n % 2 == 0 || setKeys.isEmpty()) {
        String key = counterKeys.get(random.nextInt(counterKeys.size()));
        Outcome outcome = send(node, "/v1/counters/" + key, "{\"delta\": 1}");
        counters.get(key).record(outcome);
      } else {
        String key = setKeys.get(random.nextInt(setKeys.size()));
        String element = "t" + thread + "-" + n;
        Outcome outcome = send(node, "/v1/sets/" + key, "{\"add\": [\"" + element + "\"]}");
        sets.get(key).record(outcome, element);
      }
    }
  }

  private Outcome send(int node, String path, String json) {
    HttpRequest request =
        HttpRequest.newBuilder(cluster.uri(node, path))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, UTF_8))
            .build();
    Outcome outcome;
    try {
      // A set's full element list comes back with every add: skip reading what is not needed.
      HttpResponse<String> response =
          client.send(
              request,
              info ->
                  info.statusCode() == 200
                      ? HttpResponse.BodySubscribers.replacing("")
                      : HttpResponse.BodySubscribers.ofString(UTF_8));
      outcome =
          switch (response.statusCode()) {
            case 200 -> Outcome.ACKNOWLEDGED;
            case 503 -> Outcome.NOT_WRITTEN;
            case 504 -> Outcome.UNKNOWN;
            default -> {
              unexpected.add(
                  cluster.id(node)
                      + " "
                      + path
                      + ": "
                      + response.statusCode()
                      + " "
                      + response.body());
              yield Outcome.UNKNOWN;
            }
          };
    } catch (ConnectException e) {
      // Refused (the node is down or not yet listening): the request was never sent. Like a real
      // client, back off a little rather than spin on a dead node and starve the live ones of CPU.
      refused.incrementAndGet();
      LockSupport.parkNanos(REFUSED_BACKOFF.toNanos());
      outcome = Outcome.NOT_WRITTEN;
    } catch (IOException e) {
      outcome = Outcome.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.set(false);
      outcome = Outcome.UNKNOWN;
    }
    switch (outcome) {
      case ACKNOWLEDGED -> {
        acknowledged.incrementAndGet();
        acknowledgedVia.computeIfAbsent(node, n -> new AtomicLong()).incrementAndGet();
      }
      case UNKNOWN -> unknown.incrementAndGet();
      case NOT_WRITTEN -> notWritten.incrementAndGet();
    }
    return outcome;
  }

  private enum Outcome {
    ACKNOWLEDGED,
    UNKNOWN,
    NOT_WRITTEN
  }

  private static final class CounterOutcomes {
    final AtomicLong acknowledged = new AtomicLong();
    final AtomicLong unknown = new AtomicLong();
    final AtomicLong notWritten = new AtomicLong();

    void record(Outcome outcome) {
      switch (outcome) {
        case ACKNOWLEDGED -> acknowledged.incrementAndGet();
        case UNKNOWN -> unknown.incrementAndGet();
        case NOT_WRITTEN -> notWritten.incrementAndGet();
      }
    }
  }

  private static final class SetOutcomes {
    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final Set<String> unknown = ConcurrentHashMap.newKeySet();
    final Set<String> notWritten = ConcurrentHashMap.newKeySet();

    void record(Outcome outcome, String element) {
      switch (outcome) {
        case ACKNOWLEDGED -> acknowledged.add(element);
        case UNKNOWN -> unknown.add(element);
        case NOT_WRITTEN -> notWritten.add(element);
      }
    }
  }
}
