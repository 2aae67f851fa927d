package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.OrSet;
import io.meridian.replication.Coordinator;
import io.meridian.replication.Replicated;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code /v1/sets/{key}}: add-wins OR-sets of strings. Responses carry the set's causal context as
 * an opaque token; a remove that sends it back removes only the adds the client had seen.
 */
final class SetRoutes {
  static final String PREFIX = "/v1/sets/";
  private static final Set<String> PARAMETERS = Set.of("consistency");
  private static final Set<String> DELETE_PARAMETERS = Set.of("consistency", "context");

  private final Coordinator coordinator;
  private final JsonBodies bodies;
  private final int maxKeyBytes;

  SetRoutes(Coordinator coordinator, JsonBodies bodies, int maxKeyBytes) {
    this.coordinator = coordinator;
    this.bodies = bodies;
    this.maxKeyBytes = maxKeyBytes;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    HttpApi.readRoute(router, PREFIX + "*").handler(this::get);
    router.post(PREFIX + "*").handler(bodyHandler).handler(this::update);
    router.delete(PREFIX + "*").handler(this::clear);
  }

  private void get(RoutingContext ctx) {
    DataKey key = key(ctx);
    Responses.read(
        ctx, coordinator, key, OrSet.class, "set", (c, read, set) -> respond(c, key, read, set));
  }

  private void update(RoutingContext ctx) {
    DataKey key = key(ctx);
    RequestParams params = RequestParams.of(ctx.queryParams(), PARAMETERS);
    write(ctx, key, bodies.setUpdate(HttpApi.body(ctx)), params);
  }

  private void clear(RoutingContext ctx) {
    DataKey key = key(ctx);
    RequestParams params = RequestParams.of(ctx.queryParams(), DELETE_PARAMETERS);
    write(ctx, key, new Operation.SetClear(params.get("context").map(JsonBodies::context)), params);
  }

  private void write(RoutingContext ctx, DataKey key, Operation operation, RequestParams params) {
    coordinator
        .write(key, operation, params.consistency())
        .onSuccess(written -> respond(ctx, key, written, (OrSet) written.value().state()))
        .onFailure(ctx::fail);
  }

  private static void respond(
      RoutingContext ctx, DataKey key, Replicated<?> replicated, OrSet set) {
    List<String> elements = new ArrayList<>(set.elements());
    elements.sort(CodePointOrder.INSTANCE);
    Responses.json(
        ctx,
        replicated,
        new JsonObject()
            .put("key", key.key())
            .put("elements", new JsonArray(elements))
            .put("context", JsonBodies.contextToken(set.context())));
  }

  private DataKey key(RoutingContext ctx) {
    return KeyPath.parse(ctx.request().path(), PREFIX, Keyspace.SETS, maxKeyBytes);
  }
}
