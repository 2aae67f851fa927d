package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** Merkle repairs of a {@link ProcessCluster} node through {@code /v1/admin/repair} (API.md). */
final class Repairs {
  private static final Duration POLL = Duration.ofMillis(500);

  private Repairs() {}

  /**
   * Starts a repair on node {@code i} ({@code POST /v1/admin/repair?<query>}, 202) and polls {@code
   * GET /v1/admin/repair/<id>} until its state is no longer {@code running}; returns that progress.
   */
  static JsonObject run(ProcessCluster cluster, int i, String query, Duration atMost) {
    String node = cluster.id(i);
    Reply started = cluster.post(i, "/v1/admin/repair" + (query.isEmpty() ? "" : "?" + query), "");
    assertThat(started.status())
        .as("POST /v1/admin/repair on %s: %s", node, started)
        .isEqualTo(202);
    String path = "/v1/admin/repair/" + started.json().getString("id");
    AtomicReference<JsonObject> last = new AtomicReference<>(started.json());
    await()
        .alias("repair " + path + " on " + node + " no longer running")
        .atMost(atMost)
        .pollInterval(POLL)
        .untilAsserted(
            () -> {
              Reply progress = cluster.get(i, path);
              assertThat(progress.status()).as("GET %s: %s", path, progress).isEqualTo(200);
              last.set(progress.json());
              assertThat(progress.json().getString("state"))
                  .as("state of %s on %s", path, node)
                  .isNotEqualTo("running");
            });
    return last.get();
  }
}
