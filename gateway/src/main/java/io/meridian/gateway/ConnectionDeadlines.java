package io.meridian.gateway;

import io.meridian.core.config.MeridianConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines that keep slow or abusive clients from holding connections (slowloris). The idle
 * timeout alone does not help: a client that trickles one byte every few seconds is never idle. So
 * a connection must deliver a complete request head within {@code requestTimeoutMs} of opening or
 * of its previous response, and each request must be fully received and answered within the same
 * deadline; otherwise the connection is answered and closed: 408 while the body is still arriving,
 * 504 when the node itself ran late. The late answer cannot be 503 ("nothing was done"): the
 * request was received whole and may have been handed on, so a write may still commit — a node
 * resumed after a pause expires its requests at once while a strong write it proposed before the
 * pause is committed by the group's new leader.
 *
 * <p>Rather than a timer per request, waiting connections and requests sit in insertion-ordered
 * maps (oldest first, since every entry is stamped when it is put) that a periodic sweep trims from
 * the front: constant work per request on the hot path.
 *
 * <p>One instance per HTTP server verticle; all its methods run on that verticle's event loop.
 */
final class ConnectionDeadlines {
  private final long timeoutNanos;
  private final MeridianConfig.Replication replication;
  private final Map<HttpConnection, Long> awaitingHead = new LinkedHashMap<>();
  private final Map<RoutingContext, Long> inFlight = new LinkedHashMap<>();

  /**
   * @param replication the replica counts a CRDT request cut off here reports (0 of those)
   */
  ConnectionDeadlines(Vertx vertx, long timeoutMillis, MeridianConfig.Replication replication) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    this.replication = replication;
    vertx.setPeriodic(Math.max(50, timeoutMillis / 8), sweep -> sweep());
  }

  /** A new connection: it has until the deadline to send its first request head. */
  void onConnection(HttpConnection connection) {
    connection.closeHandler(closed -> awaitingHead.remove(connection));
    awaitingHead.put(connection, System.nanoTime());
  }

  /** A request head has arrived: the request now has until the deadline to complete. */
  void onRequest(RoutingContext ctx) {
    HttpConnection connection = ctx.request().connection();
    awaitingHead.remove(connection);
    inFlight.put(ctx, System.nanoTime());
    ctx.addEndHandler(
        ended -> {
          inFlight.remove(ctx);
          if (!ctx.response().closed()) {
            awaitingHead.put(connection, System.nanoTime());
          }
        });
    ctx.next();
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Iterator<Map.Entry<HttpConnection, Long>> it = awaitingHead.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<HttpConnection, Long> entry = it.next();
      if (now - entry.getValue() < timeoutNanos) {
        break;
      }
      it.remove();
      entry.getKey().close();
    }
    for (Iterator<Map.Entry<RoutingContext, Long>> it = inFlight.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<RoutingContext, Long> entry = it.next();
      if (now - entry.getValue() < timeoutNanos) {
        break;
      }
      it.remove();
      expire(entry.getKey());
    }
  }

  private void expire(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    HttpServerRequest request = ctx.request();
    int status = request.isEnded() ? 504 : 408;
    long millis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
    ctx.response().putHeader("Connection", "close");
    Problems.countNoReplicas(request, replication);
    Problems.send(
        ctx.response(),
        Problems.forStatus(
            status,
            status == 408
                ? "the request was not received within " + millis + " ms"
                : "the request was not answered within "
                    + millis
                    + " ms; a write may still be applied"));
    request.connection().close();
  }
}
