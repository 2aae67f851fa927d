package io.meridian.gateway;

import io.meridian.replication.strong.Precondition;
import io.meridian.replication.strong.StrongKeys;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * {@code /v1/strong/{key}}: linearizable registers kept by Raft groups (API.md, "Strong keys").
 * Revisions travel in {@code ETag}; {@code If-Match: "r"} makes a write a compare-and-set, {@code
 * If-None-Match: *} a create. Reads are linearizable unless {@code ?consistency=stale}.
 */
final class StrongRoutes {
  static final String PREFIX = "/v1/strong/";
  private static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
  private static final Set<String> READ_PARAMETERS = Set.of("consistency");

  private final StrongKeys strong;
  private final int maxKeyBytes;

  StrongRoutes(StrongKeys strong, int maxKeyBytes) {
    this.strong = strong;
    this.maxKeyBytes = maxKeyBytes;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    HttpApi.readRoute(router, PREFIX + "*").handler(this::get);
    router.put(PREFIX + "*").handler(bodyHandler).handler(this::put);
    router.delete(PREFIX + "*").handler(this::delete);
  }

  private void get(RoutingContext ctx) {
    String key = key(ctx);
    boolean stale = stale(RequestParams.of(ctx.queryParams(), READ_PARAMETERS));
    strong
        .get(key, stale)
        .onSuccess(
            value -> {
              if (value.isEmpty()) {
                String absence = "key '" + key + "' does not exist";
                if (!ReadPreconditions.answeredAbsent(ctx, absence)) {
                  Problems.respond(ctx, ApiException.notFound(absence));
                }
                return;
              }
              String etag = etag(value.get().revision());
              if (ReadPreconditions.answered(ctx, etag)) {
                return;
              }
              ctx.response()
                  .putHeader("Content-Type", value.get().contentType())
                  .putHeader("ETag", etag)
                  .end(Buffer.buffer(value.get().bytes()));
            })
        .onFailure(ctx::fail);
  }

  private void put(RoutingContext ctx) {
    String key = key(ctx);
    RequestParams.of(ctx.queryParams(), Set.of());
    Precondition precondition = WritePreconditions.of(ctx, true, "revision");
    byte[] value = HttpApi.body(ctx).getBytes();
    String contentType = ctx.request().getHeader("Content-Type");
    strong
        .put(
            key,
            value,
            contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType,
            precondition)
        .onSuccess(revision -> written(ctx, key, revision))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    String key = key(ctx);
    RequestParams.of(ctx.queryParams(), Set.of());
    Precondition precondition = WritePreconditions.of(ctx, false, "revision");
    strong
        .delete(key, precondition)
        .onSuccess(revision -> written(ctx, key, revision))
        .onFailure(ctx::fail);
  }

  private static void written(RoutingContext ctx, String key, long revision) {
    ctx.response()
        .putHeader("ETag", etag(revision))
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("key", key).put("revision", revision).toBuffer());
  }

  private String key(RoutingContext ctx) {
    return KeyPath.decode(ctx.request().path(), PREFIX, maxKeyBytes);
  }

  private static boolean stale(RequestParams params) {
    return params
        .get("consistency")
        .map(
            value ->
                switch (value) {
                  case "linearizable" -> false;
                  case "stale" -> true;
                  default ->
                      throw ApiException.badRequest(
                          "invalid-parameter",
                          "consistency of a strong read must be linearizable or stale, not '"
                              + value
                              + "'");
                })
        .orElse(false);
  }

  private static String etag(long revision) {
    return "\"" + revision + "\"";
  }
}
