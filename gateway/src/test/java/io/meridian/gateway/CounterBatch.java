package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/**
 * Counters that a test writes exactly once each, with a known delta, and then checks in any node's
 * own copy ({@code consistency=one}). Unlike the keys of a {@link WriteLoad}, nothing writes them
 * again, so a replica that missed them can only get them back through repair: these are the "cold"
 * keys of anti-entropy and rebalancing tests.
 */
final class CounterBatch {
  private static final int THREADS = 4;
  private static final Duration CONVERGENCE = Duration.ofMinutes(1);

  private final ProcessCluster cluster;
  private final Map<String, Long> acknowledged;
  private final Set<String> uncertain;

  private CounterBatch(
      ProcessCluster cluster, Map<String, Long> acknowledged, Set<String> uncertain) {
    this.cluster = cluster;
    this.acknowledged = new TreeMap<>(acknowledged);
    this.uncertain = Set.copyOf(uncertain);
  }

  /**
   * Writes {@code /v1/counters/<prefix><k>} for {@code k < count}, each once with delta {@code k %
   * 7 + 1}, through the given coordinators in turn, a few at a time.
   */
  static CounterBatch write(
      ProcessCluster cluster,
      List<Integer> coordinators,
      String prefix,
      int count,
      String consistency)
      throws Exception {
    Map<String, Long> acknowledged = new ConcurrentHashMap<>();
    Set<String> uncertain = ConcurrentHashMap.newKeySet();
    ExecutorService threads = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> writes = new ArrayList<>();
      for (int k = 0; k < count; k++) {
        int coordinator = coordinators.get(k % coordinators.size());
        String path = "/v1/counters/" + prefix + k;
        long delta = k % 7 + 1;
        String query = path + "?consistency=" + consistency;
        writes.add(
            threads.submit(
                () -> {
                  try {
                    Reply reply = cluster.post(coordinator, query, "{\"delta\": " + delta + "}");
                    if (reply.status() == 200) {
                      acknowledged.put(path, delta);
                    } else {
                      uncertain.add(path + " " + reply.status());
                    }
                  } catch (UncheckedIOException e) {
                    uncertain.add(path + " " + e.getMessage());
                  }
                }));
      }
      for (Future<?> write : writes) {
        write.get();
      }
    } finally {
      threads.shutdownNow();
    }
    return new CounterBatch(cluster, acknowledged, uncertain);
  }

  /** The acknowledged counters: path to delta. */
  Map<String, Long> acknowledged() {
    return acknowledged;
  }

  /** Writes with an unknown outcome (504, no answer), with what was seen. */
  Set<String> uncertain() {
    return uncertain;
  }

  /** Node {@code i}'s own copy of each acknowledged counter {@code paths} accepts. */
  Map<String, String> copiesOn(int i, Predicate<String> paths) {
    Map<String, String> copies = new TreeMap<>();
    for (String path : acknowledged.keySet()) {
      if (paths.test(path)) {
        Reply reply = cluster.get(i, path + "?consistency=one");
        copies.put(
            path,
            reply.status() == 200 ? "200 " + reply.json().getLong("value") : reply.status() + "");
      }
    }
    return copies;
  }

  /** What {@link #copiesOn} shows on a replica that holds every acknowledged write. */
  Map<String, String> expected(Predicate<String> paths) {
    Map<String, String> expected = new TreeMap<>();
    acknowledged.forEach(
        (path, delta) -> {
          if (paths.test(path)) {
            expected.put(path, "200 " + delta);
          }
        });
    return expected;
  }

  /**
   * Waits until node {@code i}'s own copy of each acknowledged counter {@code paths} accepts is
   * exact.
   */
  void awaitCopiesOn(int i, Predicate<String> paths) {
    await(cluster.id(i) + "'s own copies of the counters as written")
        .atMost(CONVERGENCE)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(() -> assertCopiesOn(i, paths));
  }

  /** Node {@code i}'s own copy of every acknowledged counter on {@code paths} equals it, now. */
  void assertCopiesOn(int i, Predicate<String> paths) {
    Map<String, String> expected = expected(paths);
    Map<String, String> wrong = new LinkedHashMap<>();
    copiesOn(i, paths)
        .forEach(
            (path, copy) -> {
              if (!copy.equals(expected.get(path))) {
                wrong.put(path, copy + " (written: " + expected.get(path) + ")");
              }
            });
    assertThat(wrong)
        .as("copies on %s of %d counters that differ", cluster.id(i), expected.size())
        .isEmpty();
  }
}
