package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/** The ring as the nodes of a {@link ProcessCluster} see it ({@code /v1/cluster/ring}, status). */
final class Rings {
  private Rings() {}

  /**
   * The preference list (region {@code local}) of each key path, e.g. {@code /v1/counters/c0}, in
   * node {@code i}'s ring.
   */
  static Map<String, List<String>> of(ProcessCluster cluster, int i, List<String> paths) {
    Map<String, List<String>> ring = new LinkedHashMap<>();
    for (String path : paths) {
      String[] parts = path.split("/", 4); // "", "v1", keyspace, key
      String query = "?keyspace=" + parts[2] + "&key=" + URLEncoder.encode(parts[3], UTF_8);
      Reply reply = cluster.get(i, "/v1/cluster/ring" + query);
      assertThat(reply.status())
          .as("ring of %s on %s: %s", path, cluster.id(i), reply)
          .isEqualTo(200);
      List<String> replicas = new ArrayList<>();
      reply
          .json()
          .getJsonObject("replicas")
          .getJsonArray("local")
          .forEach(id -> replicas.add((String) id));
      ring.put(path, replicas);
    }
    return ring;
  }

  /**
   * Waits until every running node places each of the {@code paths} on the same replicas ({@code
   * replication.n} of them), and those placements use exactly {@code members}; returns them.
   */
  static Map<String, List<String>> awaitAgree(
      ProcessCluster cluster, List<String> paths, Set<String> members, Duration atMost) {
    AtomicReference<Map<String, List<String>>> agreed = new AtomicReference<>();
    await("every running node's ring agrees, over " + members)
        .atMost(atMost)
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              Map<String, Map<String, List<String>>> rings = new LinkedHashMap<>();
              for (int i : cluster.runningNodes()) {
                rings.put(cluster.id(i), of(cluster, i, paths));
              }
              assertThat(new HashSet<>(rings.values())).as("distinct rings").hasSize(1);
              Map<String, List<String>> ring = rings.values().iterator().next();
              Set<String> placed = new HashSet<>();
              ring.values().forEach(placed::addAll);
              assertThat(placed).as("nodes placing the keys").isEqualTo(members);
              assertThat(ring.values())
                  .allSatisfy(list -> assertThat(list).hasSize(cluster.replicas()));
              agreed.set(ring);
            });
    return agreed.get();
  }

  /** Whether node {@code observer}'s status lists {@code member} with {@code inRing: true}. */
  static boolean inRing(ProcessCluster cluster, int observer, String member) {
    for (Object m : cluster.status(observer).getJsonArray("members")) {
      JsonObject view = (JsonObject) m;
      if (view.getString("id").equals(member)) {
        return view.getBoolean("inRing");
      }
    }
    throw new AssertionError(cluster.id(observer) + " does not list " + member);
  }
}
