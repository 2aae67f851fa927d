package io.meridian.gateway;

import io.meridian.core.config.MeridianConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Assembles the HTTP API of API.md section 3 into a router: limits first, then the keyspace,
 * cluster and operations routes, and one failure path that turns everything into a problem.
 */
final class HttpApi {
  private static final int[] ROUTER_ERRORS = {400, 404, 405, 413, 500};

  private final NodeServices services;

  HttpApi(NodeServices services) {
    this.services = services;
  }

  Router router(Vertx vertx, ConnectionDeadlines deadlines) {
    MeridianConfig.Limits limits = services.config().limits();
    Router router = Router.router(vertx);
    router.route().handler(deadlines::onRequest);

    Handler<RoutingContext> body = bodyWithin(limits.maxValueBytes());
    JsonBodies bodies = new JsonBodies(limits.maxValueBytes(), limits.maxSetElementBytes());
    new RegisterRoutes(services.coordinator(), limits.maxKeyBytes()).mount(router, body);
    new CounterRoutes(services.coordinator(), bodies, limits.maxKeyBytes()).mount(router, body);
    new SetRoutes(services.coordinator(), bodies, limits.maxKeyBytes()).mount(router, body);
    new ClusterRoutes(services.config(), services.identity()).mount(router);
    new OperationsRoutes(services.lifecycle(), services.registry()).mount(router);

    router.route().failureHandler(HttpApi::failure);
    for (int status : ROUTER_ERRORS) {
      router.errorHandler(status, HttpApi::failure);
    }
    return router;
  }

  /**
   * Reads a request body of at most {@code limitBytes}. A declared Content-Length over the limit is
   * refused before a byte of the body is read, and the connection is closed so a client announcing
   * 10 GB cannot make the node drain it.
   */
  private static Handler<RoutingContext> bodyWithin(int limitBytes) {
    BodyHandler reader = BodyHandler.create(false).setBodyLimit(limitBytes);
    return ctx -> {
      String declared = ctx.request().getHeader("Content-Length");
      if (declared != null && declaredLength(declared) > limitBytes) {
        ctx.response().putHeader("Connection", "close");
        ctx.addEndHandler(ended -> ctx.request().connection().close());
        throw ApiException.tooLarge(
            "the body is " + declared + " bytes; at most " + limitBytes + " are allowed");
      }
      reader.handle(ctx);
    };
  }

  private static long declaredLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure != null) {
      Problems.respond(ctx, failure);
      return;
    }
    int status = ctx.statusCode();
    if (status == 405) {
      ctx.response().putHeader("Allow", allowed(ctx.request().path()));
    }
    Problems.send(ctx.response(), Problems.forStatus(status, detail(ctx, status)));
  }

  private static String detail(RoutingContext ctx, int status) {
    return switch (status) {
      case 404 -> "no resource at " + ctx.request().path();
      case 405 -> ctx.request().method() + " is not supported on " + ctx.request().path();
      case 413 -> "the request body is too large";
      default -> "the request could not be handled";
    };
  }

  private static String allowed(String path) {
    if (path.startsWith(RegisterRoutes.PREFIX)) {
      return "GET, PUT, DELETE";
    }
    if (path.startsWith(CounterRoutes.PREFIX)) {
      return "GET, POST";
    }
    if (path.startsWith(SetRoutes.PREFIX)) {
      return "GET, POST, DELETE";
    }
    return "GET";
  }
}
