package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.crdt.PnCounter;
import io.meridian.replication.Coordinator;
import io.meridian.replication.Replicated;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/** {@code /v1/counters/{key}}: PN-counters. */
final class CounterRoutes {
  static final String PREFIX = "/v1/counters/";
  private static final Set<String> PARAMETERS = Set.of("consistency");

  private final Coordinator coordinator;
  private final JsonBodies bodies;
  private final int maxKeyBytes;

  CounterRoutes(Coordinator coordinator, JsonBodies bodies, int maxKeyBytes) {
    this.coordinator = coordinator;
    this.bodies = bodies;
    this.maxKeyBytes = maxKeyBytes;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    HttpApi.readRoute(router, PREFIX + "*").handler(this::get);
    router.post(PREFIX + "*").handler(bodyHandler).handler(this::add);
  }

  private void get(RoutingContext ctx) {
    DataKey key = key(ctx);
    Responses.read(
        ctx,
        coordinator,
        key,
        PnCounter.class,
        "counter",
        (c, read, counter) -> respond(c, key, read, counter));
  }

  private void add(RoutingContext ctx) {
    DataKey key = key(ctx);
    RequestParams params = RequestParams.of(ctx.queryParams(), PARAMETERS);
    coordinator
        .write(key, bodies.counterAdd(HttpApi.body(ctx)), params.consistency())
        .onSuccess(written -> respond(ctx, key, written, (PnCounter) written.value().state()))
        .onFailure(ctx::fail);
  }

  private static void respond(
      RoutingContext ctx, DataKey key, Replicated<?> replicated, PnCounter counter) {
    Responses.json(
        ctx, replicated, new JsonObject().put("key", key.key()).put("value", counter.value()));
  }

  private DataKey key(RoutingContext ctx) {
    return KeyPath.parse(ctx.request().path(), PREFIX, Keyspace.COUNTERS, maxKeyBytes);
  }
}
