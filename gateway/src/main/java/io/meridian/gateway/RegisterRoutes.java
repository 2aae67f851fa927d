package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.LwwRegister;
import io.meridian.replication.Coordinator;
import io.meridian.replication.strong.Precondition;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/** {@code /v1/keys/{key}}: last-writer-wins registers of opaque bytes and a content type. */
final class RegisterRoutes {
  static final String PREFIX = "/v1/keys/";
  private static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
  private static final Set<String> PARAMETERS = Set.of("consistency");

  private final Coordinator coordinator;
  private final int maxKeyBytes;

  RegisterRoutes(Coordinator coordinator, int maxKeyBytes) {
    this.coordinator = coordinator;
    this.maxKeyBytes = maxKeyBytes;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    HttpApi.readRoute(router, PREFIX + "*").handler(this::get);
    router.put(PREFIX + "*").handler(bodyHandler).handler(this::put);
    router.delete(PREFIX + "*").handler(this::delete);
  }

  private void get(RoutingContext ctx) {
    DataKey key = key(ctx);
    Responses.read(
        ctx,
        coordinator,
        key,
        LwwRegister.class,
        "key",
        (c, read, register) -> {
          if (register.isEmpty() || register.isTombstone()) {
            Responses.notFound(c, read, "key '" + key.key() + "' does not exist");
            return;
          }
          String etag = etag(register.timestamp());
          c.response().putHeader(Problems.REPLICAS_HEADER, Responses.replicas(read));
          if (ReadPreconditions.answered(c, etag)) {
            return;
          }
          c.response()
              .putHeader("Content-Type", register.contentType())
              .putHeader("ETag", etag)
              .end(Buffer.buffer(register.value()));
        });
  }

  private void put(RoutingContext ctx) {
    DataKey key = key(ctx);
    RequestParams params = RequestParams.of(ctx.queryParams(), PARAMETERS);
    byte[] value = HttpApi.body(ctx).getBytes();
    String contentType = ctx.request().getHeader("Content-Type");
    Operation operation =
        new Operation.RegisterPut(
            value,
            contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType);
    Precondition precondition = WritePreconditions.of(ctx, true, "version");
    writeIf(precondition, ctx, key, operation, params);
  }

  private void delete(RoutingContext ctx) {
    DataKey key = key(ctx);
    RequestParams params = RequestParams.of(ctx.queryParams(), PARAMETERS);
    Precondition precondition = WritePreconditions.of(ctx, false, "version");
    writeIf(precondition, ctx, key, new Operation.RegisterDelete(), params);
  }

  /**
   * A conditional write first reads the key at the request's consistency and writes only if the
   * condition holds for what the read found (412 otherwise, with the version found in {@code
   * ETag}). This is a check, not a compare-and-set: a write that lands between the read and this
   * write (from another client, or in another region) is not seen, and the later timestamp wins as
   * always. It stops a client from overwriting a version it never saw, as Riak's conditional PUTs
   * do; an atomic compare-and-set is what {@code /v1/strong} is for.
   */
  private void writeIf(
      Precondition precondition,
      RoutingContext ctx,
      DataKey key,
      Operation operation,
      RequestParams params) {
    if (precondition instanceof Precondition.None) {
      write(ctx, key, operation, params);
      return;
    }
    coordinator
        .read(key, params.consistency())
        .onSuccess(
            read -> {
              long current =
                  read.value()
                      .map(LwwRegister.class::cast)
                      .filter(register -> !register.isEmpty() && !register.isTombstone())
                      .map(LwwRegister::timestamp)
                      .orElse(0L);
              if (precondition.holds(current)) {
                write(ctx, key, operation, params);
                return;
              }
              ctx.response().putHeader(Problems.REPLICAS_HEADER, Responses.replicas(read));
              if (current > 0) {
                ctx.response().putHeader("ETag", etag(current));
              }
              ctx.fail(
                  ApiException.preconditionFailed(
                      current > 0
                          ? "key '" + key.key() + "' is at version " + current
                          : "key '" + key.key() + "' does not exist"));
            })
        .onFailure(ctx::fail);
  }

  private void write(RoutingContext ctx, DataKey key, Operation operation, RequestParams params) {
    coordinator
        .write(key, operation, params.consistency())
        .onSuccess(
            written -> {
              long version = ((LwwRegister) written.value().delta()).timestamp();
              ctx.response().putHeader("ETag", etag(version));
              Responses.json(
                  ctx, written, new JsonObject().put("key", key.key()).put("version", version));
            })
        .onFailure(ctx::fail);
  }

  private DataKey key(RoutingContext ctx) {
    return KeyPath.parse(ctx.request().path(), PREFIX, Keyspace.KEYS, maxKeyBytes);
  }

  private static String etag(long version) {
    return "\"" + version + "\"";
  }
}
