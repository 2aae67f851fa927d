package io.meridian.gateway;

import io.meridian.core.Keyspace;
import io.meridian.replication.ClusterView;
import io.meridian.replication.RepairProgress;
import io.meridian.replication.RepairService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code /v1/admin/repair}: start and follow Merkle-tree anti-entropy repairs. */
final class AdminRoutes {
  static final String REPAIR = "/v1/admin/repair";
  private static final Set<String> START_PARAMETERS = Set.of("keyspace", "peer", "dryRun");

  private final RepairService repairs;
  private final ClusterView cluster;

  AdminRoutes(RepairService repairs, ClusterView cluster) {
    this.repairs = repairs;
    this.cluster = cluster;
  }

  void mount(Router router) {
    router.post(REPAIR).handler(this::start);
    HttpApi.readRoute(router, REPAIR + "/:id").handler(this::progress);
  }

  private void start(RoutingContext ctx) {
    RequestParams params = RequestParams.of(ctx.queryParams(), START_PARAMETERS);
    Optional<Keyspace> keyspace =
        params
            .get("keyspace")
            .map(
                name ->
                    Keyspace.byPathName(name)
                        .orElseThrow(
                            () ->
                                ApiException.badRequest(
                                    "invalid-parameter",
                                    "keyspace must be one of keys, counters, sets, not '"
                                        + name
                                        + "'")));
    boolean dryRun =
        params
            .get("dryRun")
            .map(
                value -> {
                  if (!value.equals("true") && !value.equals("false")) {
                    throw ApiException.badRequest(
                        "invalid-parameter", "dryRun must be true or false, not '" + value + "'");
                  }
                  return Boolean.parseBoolean(value);
                })
            .orElse(false);
    Optional<String> peer = params.get("peer");
    requireMember(peer)
        .compose(known -> repairs.startRepair(keyspace, peer, dryRun))
        .onSuccess(
            started ->
                ctx.response()
                    .setStatusCode(202)
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Location", REPAIR + "/" + started.id())
                    .end(toJson(started).toBuffer()))
        .onFailure(ctx::fail);
  }

  /**
   * A repair with an unknown peer would share no range with it and report "done" having compared
   * nothing, which reads as "in sync". A member that is down is still a member: its ranges are
   * known, and the repair reports them failed.
   */
  private Future<Void> requireMember(Optional<String> peer) {
    if (peer.isEmpty()) {
      return Future.succeededFuture();
    }
    return cluster
        .status()
        .map(
            status -> {
              List<String> members =
                  status.members().stream().map(view -> view.member().id()).sorted().toList();
              if (!members.contains(peer.get())) {
                throw ApiException.badRequest(
                    "invalid-parameter",
                    "peer '"
                        + peer.get()
                        + "' is not a member of the cluster; members: "
                        + String.join(", ", members));
              }
              return null;
            });
  }

  private void progress(RoutingContext ctx) {
    RequestParams.of(ctx.queryParams(), Set.of());
    String id = ctx.pathParam("id");
    repairs
        .repairProgress(id)
        .onSuccess(
            progress -> {
              if (progress.isEmpty()) {
                Problems.respond(ctx, ApiException.notFound("no repair '" + id + "' on this node"));
              } else {
                ctx.json(toJson(progress.get()));
              }
            })
        .onFailure(ctx::fail);
  }

  private static JsonObject toJson(RepairProgress progress) {
    JsonObject json =
        new JsonObject()
            .put("id", progress.id())
            .put("state", progress.state().apiName())
            .put("dryRun", progress.dryRun())
            .put("rangesTotal", progress.rangesTotal())
            .put("rangesCompared", progress.rangesCompared())
            .put("rangesFailed", progress.rangesFailed())
            .put("keysRepaired", progress.keysRepaired())
            .put("differences", progress.differences())
            .put("bytesSent", progress.bytesSent())
            .put("startedAt", progress.startedAtMillis());
    progress.keyspace().ifPresent(k -> json.put("keyspace", k));
    progress.peer().ifPresent(p -> json.put("peer", p));
    json.put("failedPeers", new JsonArray(progress.failedPeers()));
    if (progress.finishedAtMillis() > 0) {
      json.put("finishedAt", progress.finishedAtMillis());
    }
    return json;
  }
}
