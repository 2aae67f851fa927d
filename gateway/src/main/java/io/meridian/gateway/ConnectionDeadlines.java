package io.meridian.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * Deadlines that keep slow or abusive clients from holding connections (slowloris). The idle
 * timeout alone does not help: a client that trickles one byte every few seconds is never idle. So
 * a connection must deliver a complete request head within {@code requestTimeoutMs} of opening or
 * of its previous response, and each request must be fully received and answered within the same
 * deadline; otherwise the connection is answered (408 while the body is still arriving, 503 when
 * the node itself ran late) and closed.
 *
 * <p>One instance per HTTP server verticle; all its methods run on that verticle's event loop.
 */
final class ConnectionDeadlines {
  private final Vertx vertx;
  private final long timeoutMillis;
  private final Map<HttpConnection, Long> headTimers = new HashMap<>();

  ConnectionDeadlines(Vertx vertx, long timeoutMillis) {
    this.vertx = vertx;
    this.timeoutMillis = timeoutMillis;
  }

  /** A new connection: it has until the deadline to send its first request head. */
  void onConnection(HttpConnection connection) {
    connection.closeHandler(closed -> cancelHeadTimer(connection));
    armHeadTimer(connection);
  }

  /** A request head has arrived: the request now has until the deadline to complete. */
  void onRequest(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpConnection connection = request.connection();
    cancelHeadTimer(connection);
    long requestTimer =
        vertx.setTimer(
            timeoutMillis,
            fired -> {
              if (!ctx.response().ended()) {
                int status = request.isEnded() ? 503 : 408;
                ctx.response().putHeader("Connection", "close");
                Problems.send(
                    ctx.response(),
                    Problems.forStatus(
                        status,
                        status == 408
                            ? "the request was not received within " + timeoutMillis + " ms"
                            : "the request was not answered within " + timeoutMillis + " ms"));
                connection.close();
              }
            });
    ctx.addEndHandler(
        ended -> {
          vertx.cancelTimer(requestTimer);
          armHeadTimer(connection);
        });
    ctx.next();
  }

  private void armHeadTimer(HttpConnection connection) {
    cancelHeadTimer(connection);
    long timer =
        vertx.setTimer(
            timeoutMillis,
            fired -> {
              headTimers.remove(connection);
              connection.close();
            });
    headTimers.put(connection, timer);
  }

  private void cancelHeadTimer(HttpConnection connection) {
    Long timer = headTimers.remove(connection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
