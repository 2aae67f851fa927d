package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.NodeIdentity;
import io.meridian.core.config.MeridianConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * {@code /v1/cluster/status} and {@code /v1/cluster/ring} of a node running alone: it is the only
 * member, always up, and the only replica of every key.
 */
final class ClusterRoutes {
  private static final Set<String> RING_PARAMETERS = Set.of("keyspace", "key");

  private final MeridianConfig config;
  private final NodeIdentity identity;

  ClusterRoutes(MeridianConfig config, NodeIdentity identity) {
    this.config = config;
    this.identity = identity;
  }

  void mount(Router router) {
    router.get("/v1/cluster/status").handler(this::status);
    router.get("/v1/cluster/ring").handler(this::ring);
  }

  private void status(RoutingContext ctx) {
    RequestParams.of(ctx.queryParams(), Set.of());
    MeridianConfig.Replication replication = config.replication();
    JsonObject self =
        new JsonObject()
            .put("id", config.node().id())
            .put("region", config.node().region())
            .put("status", "up")
            .put("phi", 0.0)
            .put("http", config.http().host() + ":" + config.http().port());
    JsonObject body =
        new JsonObject()
            .put("node", config.node().id())
            .put("region", config.node().region())
            .put("replica", identity.replicaId().value())
            .put("members", new JsonArray().add(self))
            .put(
                "replication",
                new JsonObject()
                    .put("n", replication.n())
                    .put("w", replication.w())
                    .put("r", replication.r()))
            .put("hints", new JsonObject().put("pending", 0))
            .put("raft", new JsonObject().put("groups", new JsonArray()));
    ctx.json(body);
  }

  private void ring(RoutingContext ctx) {
    RequestParams params = RequestParams.of(ctx.queryParams(), RING_PARAMETERS);
    String name = params.get("keyspace").orElse(Keyspace.KEYS.pathName());
    Keyspace keyspace =
        Keyspace.byPathName(name)
            .orElseThrow(
                () ->
                    ApiException.badRequest(
                        "invalid-parameter",
                        "keyspace must be one of keys, counters, sets, not '" + name + "'"));
    String key =
        params
            .get("key")
            .orElseThrow(
                () ->
                    ApiException.badRequest("invalid-parameter", "the 'key' parameter is missing"));
    if (key.isEmpty()) {
      throw ApiException.badRequest("invalid-key", "the key must not be empty");
    }
    DataKey dataKey = new DataKey(keyspace, key);
    ctx.json(
        new JsonObject()
            .put("key", dataKey.key())
            .put("keyspace", keyspace.pathName())
            .put("token", dataKey.token())
            .put(
                "replicas",
                new JsonObject()
                    .put(config.node().region(), new JsonArray().add(config.node().id()))));
  }
}
