package io.meridian.gateway;

import io.meridian.core.config.MeridianConfig;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's HTTP server. The node deploys one instance per core; Vert.x spreads connections
 * over them.
 *
 * <p>Cleartext HTTP/2 (h2c) is off unless {@code http.h2c} is set: every client speaks HTTP/1.1,
 * the slow-client deadlines are per connection, and h2c's upgrade path would add a second set of
 * limits to get right (README, "HTTP").
 */
final class HttpApiVerticle extends VerticleBase {
  private static final long DRAIN_SECONDS = 10;

  private final NodeServices services;
  private HttpServer server;

  HttpApiVerticle(NodeServices services) {
    this.services = services;
  }

  @Override
  public Future<?> start() {
    MeridianConfig.Http http = services.config().http();
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(http.host())
            .setPort(http.port())
            .setIdleTimeout((int) http.idleTimeoutMs())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setMaxHeaderSize(http.maxHeaderBytes())
            .setMaxInitialLineLength(8192)
            .setHttp2ClearTextEnabled(http.h2c())
            .setCompressionSupported(false)
            .setTcpNoDelay(true);
    ConnectionDeadlines deadlines =
        new ConnectionDeadlines(vertx, http.requestTimeoutMs(), services.config().replication());
    server =
        vertx
            .createHttpServer(options)
            .connectionHandler(
                connection -> {
                  if (!http.h2c()) { // with h2c, the first request may be read already
                    StrictFraming.install(connection, options);
                  }
                  deadlines.onConnection(connection);
                })
            .invalidRequestHandler(
                request -> invalidRequest(request, services.config().replication()))
            .requestHandler(new HttpApi(services).router(vertx, deadlines));
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    return server.shutdown(DRAIN_SECONDS, TimeUnit.SECONDS);
  }

  /** Requests Netty could not decode: oversized header block or request line, or garbage. */
  private static void invalidRequest(
      HttpServerRequest request, MeridianConfig.Replication replication) {
    DecoderResult result = request.decoderResult();
    Throwable cause = result.cause();
    int status = 400;
    String detail = "the request could not be parsed";
    if (cause instanceof StrictFraming.AmbiguousFraming) {
      detail = cause.getMessage();
    } else if (cause instanceof TooLongFrameException) {
      String name = cause.getClass().getSimpleName();
      if (name.contains("Header")) {
        status = 431;
        detail = "the request header block is larger than the server accepts";
      } else if (name.contains("Line")) {
        status = 414;
        detail = "the request line is longer than the server accepts";
      }
    }
    request.response().putHeader("Connection", "close");
    Problems.countNoReplicas(request, replication);
    Problems.send(request.response(), Problems.forStatus(status, detail));
    request.connection().close();
  }
}
