package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.NodeIdentity;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.ClusterStatus;
import io.meridian.replication.ClusterView;
import io.meridian.replication.strong.StrongKeys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/** {@code /v1/cluster/status} and {@code /v1/cluster/ring}: this node's view of the cluster. */
final class ClusterRoutes {
  private static final Set<String> RING_PARAMETERS = Set.of("keyspace", "key");

  private final MeridianConfig config;
  private final NodeIdentity identity;
  private final ClusterView cluster;
  private final StrongKeys strong;

  ClusterRoutes(MeridianConfig config, NodeIdentity identity, ClusterView cluster) {
    this(config, identity, cluster, StrongKeys.unavailable());
  }

  ClusterRoutes(
      MeridianConfig config, NodeIdentity identity, ClusterView cluster, StrongKeys strong) {
    this.config = config;
    this.identity = identity;
    this.cluster = cluster;
    this.strong = strong;
  }

  void mount(Router router) {
    HttpApi.readRoute(router, "/v1/cluster/status").handler(this::status);
    HttpApi.readRoute(router, "/v1/cluster/ring").handler(this::ring);
  }

  private void status(RoutingContext ctx) {
    RequestParams.of(ctx.queryParams(), Set.of());
    cluster
        .status()
        .compose(status -> strong.groups().map(groups -> toJson(status).put("raft", raft(groups))))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  /** The strong-key Raft groups as this node sees them. */
  private static JsonObject raft(List<StrongKeys.GroupStatus> groups) {
    JsonArray json = new JsonArray();
    for (StrongKeys.GroupStatus group : groups) {
      json.add(
          new JsonObject()
              .put("id", group.index())
              .put("raftGroup", group.raftId())
              .put("leader", group.leader().orElse(null))
              .put("term", group.term().orElse(null))
              .put("role", group.role())
              .put("voters", new JsonArray(group.voters())));
    }
    return new JsonObject().put("groups", json);
  }

  private JsonObject toJson(ClusterStatus status) {
    JsonArray members = new JsonArray();
    JsonObject pendingByTarget = new JsonObject();
    for (ClusterStatus.MemberView view : status.members()) {
      members.add(
          new JsonObject()
              .put("id", view.member().id())
              .put("region", view.member().region())
              .put("status", view.status().apiName())
              .put("phi", round(view.phi()))
              .put("http", view.member().httpAddress())
              .put("inRing", view.inRing()));
      if (!view.member().id().equals(config.node().id())) {
        pendingByTarget.put(view.member().id(), view.hintsPending());
      }
    }
    MeridianConfig.Replication replication = config.replication();
    return new JsonObject()
        .put("node", config.node().id())
        .put("region", config.node().region())
        .put("replica", identity.replicaId().value())
        .put("members", members)
        .put(
            "replication",
            new JsonObject()
                .put("n", replication.n())
                .put("w", replication.w())
                .put("r", replication.r()))
        .put(
            "hints",
            new JsonObject()
                .put("pending", status.hintsPending())
                .put("pendingByTarget", pendingByTarget)
                .put("delivered", status.hintsDelivered())
                .put("expired", status.hintsExpired())
                .put("obsolete", status.hintsObsolete()))
        .put("regions", regions(status))
        .put("raft", new JsonObject().put("groups", new JsonArray()));
  }

  /** Delta-state gossip towards each remote region: how far behind it is, what it cost. */
  private static JsonObject regions(ClusterStatus status) {
    JsonObject regions = new JsonObject();
    status
        .regions()
        .forEach(
            (region, lag) ->
                regions.put(
                    region,
                    new JsonObject()
                        .put("backlogEntries", lag.backlogEntries())
                        .put("backlogBytes", lag.backlogBytes())
                        .put("oldestUnacknowledgedMs", lag.oldestUnacknowledgedAgeMillis())
                        .put("lastExchange", lag.lastExchangeMillis())
                        .put("deltaBytesSent", lag.deltaBytesSent())
                        .put("fullStateBytesSent", lag.fullStateBytesSent())
                        .put("shipments", lag.shipments())));
    return regions;
  }

  private static double round(double phi) {
    return Double.isFinite(phi) ? Math.round(phi * 1000) / 1000.0 : Double.MAX_VALUE;
  }

  /**
   * The {@code key} parameter as the client encoded it. The router's decoded value cannot be
   * checked: it has already replaced bytes that are not UTF-8 with U+FFFD, a valid key of its own.
   * As in any query string, {@code +} stands for a space ({@code %2B} is a plus).
   */
  private static String rawKey(String query) {
    for (String parameter : query.split("&", -1)) {
      int equals = parameter.indexOf('=');
      String name = equals < 0 ? parameter : parameter.substring(0, equals);
      if (URLDecoder.decode(name, StandardCharsets.UTF_8).equals("key")) {
        return equals < 0 ? "" : parameter.substring(equals + 1).replace("+", "%20");
      }
    }
    throw new IllegalStateException("the router found a 'key' parameter that is not in " + query);
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
    if (params.get("key").isEmpty()) {
      throw ApiException.badRequest("invalid-parameter", "the 'key' parameter is missing");
    }
    String key = KeyPath.decodeKey(rawKey(ctx.request().query()), config.limits().maxKeyBytes());
    DataKey dataKey = new DataKey(keyspace, key);
    cluster
        .preferenceLists(dataKey)
        .onSuccess(
            lists -> {
              JsonObject replicas = new JsonObject();
              lists.forEach((region, nodes) -> replicas.put(region, new JsonArray(nodes)));
              ctx.json(
                  new JsonObject()
                      .put("key", dataKey.key())
                      .put("keyspace", keyspace.pathName())
                      .put("token", dataKey.token())
                      .put("replicas", replicas));
            })
        .onFailure(ctx::fail);
  }
}
