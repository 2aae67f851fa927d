package io.meridian.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code /health} and {@code /metrics}. */
final class OperationsRoutes {
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final NodeLifecycle lifecycle;
  private final PrometheusMeterRegistry registry;

  OperationsRoutes(NodeLifecycle lifecycle, PrometheusMeterRegistry registry) {
    this.lifecycle = lifecycle;
    this.registry = registry;
  }

  void mount(Router router) {
    HttpApi.readRoute(router, "/health").handler(this::health);
    HttpApi.readRoute(router, "/metrics").handler(this::metrics);
  }

  private void health(RoutingContext ctx) {
    NodeLifecycle.State state = lifecycle.current();
    JsonObject body =
        new JsonObject().put("status", state.name().toLowerCase(java.util.Locale.ROOT));
    if (state == NodeLifecycle.State.SERVING) {
      ctx.json(body);
    } else {
      ctx.response()
          .setStatusCode(503)
          .putHeader("Retry-After", "1")
          .putHeader("Content-Type", "application/json")
          .end(body.toBuffer());
    }
  }

  private void metrics(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", PROMETHEUS_TEXT).end(registry.scrape());
  }
}
