package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.crdt.Crdt;
import io.meridian.replication.Coordinator;
import io.meridian.replication.Replicated;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/** Reads and successful JSON responses of the CRDT routes, each carrying its replica count. */
final class Responses {
  private static final Set<String> READ_PARAMETERS = Set.of("consistency", "explain");

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

  /** How a keyspace answers a successful read of a key that exists. */
  @FunctionalInterface
  interface ReadAnswer<T> {
    void answer(RoutingContext ctx, Replicated<?> read, T state);
  }

  /**
   * The GET of a CRDT key: every replica's version for {@code ?explain=true}, otherwise a read at
   * the requested consistency answered by {@code answer}, or 404 when no replica ever saw the key.
   */
  static <T extends Crdt<T>> void read(
      RoutingContext ctx,
      Coordinator coordinator,
      DataKey key,
      Class<T> type,
      String noun,
      ReadAnswer<T> answer) {
    RequestParams params = RequestParams.of(ctx.queryParams(), READ_PARAMETERS);
    if (params.explain()) {
      Explanations.respond(ctx, coordinator, key);
      return;
    }
    coordinator
        .read(key, params.consistency())
        .onSuccess(
            read -> {
              if (read.value().isEmpty()) {
                notFound(ctx, read, noun + " '" + key.key() + "' was never written");
              } else {
                answer.answer(ctx, read, type.cast(read.value().get()));
              }
            })
        .onFailure(ctx::fail);
  }

  /**
   * A 404 that still says how many replicas were asked; a 412 if the request has {@code If-Match},
   * which nothing absent satisfies.
   */
  static void notFound(RoutingContext ctx, Replicated<?> replicated, String detail) {
    ctx.response().putHeader(Problems.REPLICAS_HEADER, replicas(replicated));
    if (!ReadPreconditions.answeredAbsent(ctx, detail)) {
      Problems.respond(ctx, ApiException.notFound(detail));
    }
  }
}
