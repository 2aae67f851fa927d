package io.meridian.gateway;

import io.meridian.replication.Replicated;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Successful JSON responses of the CRDT routes, each carrying its replica count. */
final class Responses {
  private Responses() {}

  static void json(RoutingContext ctx, Replicated<?> replicated, JsonObject body) {
    ctx.response()
        .putHeader(Problems.REPLICAS_HEADER, replicas(replicated))
        .putHeader("Content-Type", "application/json")
        .end(body.toBuffer());
  }

  static String replicas(Replicated<?> replicated) {
    return replicated.acked() + "/" + replicated.required();
  }

  /** A 404 that still says how many replicas were asked. */
  static void notFound(RoutingContext ctx, Replicated<?> replicated, String detail) {
    ctx.response().putHeader(Problems.REPLICAS_HEADER, replicas(replicated));
    Problems.respond(ctx, ApiException.notFound(detail));
  }
}
