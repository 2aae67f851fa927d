package io.meridian.gateway;

import io.meridian.core.config.MeridianConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Assembles the HTTP API of API.md section 3 into a router: limits first, then the keyspace,
 * cluster and operations routes, and one failure path that turns everything into a problem.
 */
final class HttpApi {
  private static final int[] ROUTER_ERRORS = {400, 403, 404, 405, 413, 500};
  private static final String BODY = "meridian.body";
  private static final List<String> KEYSPACE_PREFIXES =
      List.of(RegisterRoutes.PREFIX, CounterRoutes.PREFIX, SetRoutes.PREFIX, StrongRoutes.PREFIX);

  private final NodeServices services;

  HttpApi(NodeServices services) {
    this.services = services;
  }

  Router router(Vertx vertx, ConnectionDeadlines deadlines) {
    MeridianConfig.Limits limits = services.config().limits();
    Router router = Router.router(vertx);
    RouteMetrics metrics = new RouteMetrics(services.registry());
    router.route().handler(metrics::onRequest);
    router.route().handler(deadlines::onRequest);
    router.route().handler(this::closeWhileDraining);
    List<String> corsOrigins = services.config().http().corsOrigins();
    if (!corsOrigins.isEmpty()) {
      router.route().handler(CrossOrigin.handler(corsOrigins));
    }

    Handler<RoutingContext> body = bodyWithin(limits.maxValueBytes());
    JsonBodies bodies = new JsonBodies(limits.maxValueBytes(), limits.maxSetElementBytes());
    new RegisterRoutes(services.coordinator(), limits.maxKeyBytes()).mount(router, body);
    new CounterRoutes(services.coordinator(), bodies, limits.maxKeyBytes()).mount(router, body);
    new SetRoutes(services.coordinator(), bodies, limits.maxKeyBytes()).mount(router, body);
    new StrongRoutes(services.strong(), limits.maxKeyBytes()).mount(router, body);
    new ClusterRoutes(services.config(), services.identity(), services.cluster(), services.strong())
        .mount(router);
    new AdminRoutes(services.repairs(), services.cluster()).mount(router);
    new OperationsRoutes(services.lifecycle(), services.registry()).mount(router);

    router.route().failureHandler(ctx -> failure(ctx, 500));
    for (int status : ROUTER_ERRORS) {
      // The router calls these without a failure or a status code when it cannot even match the
      // request (a path or query with invalid percent-encoding): the registered status stands.
      router.errorHandler(status, ctx -> failure(ctx, status));
    }
    return router;
  }

  /**
   * While the node drains, each response says {@code Connection: close} and its connection closes
   * after it, so a client that keeps connections alive opens its next one elsewhere (or finds this
   * node refusing it once its servers close), rather than sending on a connection being closed.
   */
  private void closeWhileDraining(RoutingContext ctx) {
    if (services.lifecycle().current() == NodeLifecycle.State.DRAINING) {
      ctx.response().putHeader("Connection", "close");
      ctx.addEndHandler(ended -> ctx.request().connection().close());
    }
    ctx.next();
  }

  /**
   * A route for reads: GET, and HEAD as HTTP wants wherever GET is served (the same headers, no
   * body; Vert.x leaves the body out of a response to HEAD).
   */
  static Route readRoute(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  /** The raw request body read by the body handler of a route; empty when there was none. */
  static Buffer body(RoutingContext ctx) {
    Buffer body = ctx.get(BODY);
    return body == null ? Buffer.buffer() : body;
  }

  /**
   * Reads a request body of at most {@code limitBytes}, as raw bytes whatever its Content-Type. A
   * declared Content-Length over the limit is refused before a byte of the body is read, and the
   * connection is closed so a client announcing 10 GB cannot make the node drain it.
   *
   * <p>Not vertx-web's {@code BodyHandler}: it decodes form and multipart bodies by their
   * Content-Type, which fails a JSON body over 8 KiB sent as {@code curl -d} does
   * (x-www-form-urlencoded) and stores an empty value for a register PUT with a multipart type.
   */
  private static Handler<RoutingContext> bodyWithin(int limitBytes) {
    return ctx -> {
      HttpServerRequest request = ctx.request();
      String declared = request.getHeader("Content-Length");
      if (declared != null && declaredLength(declared) > limitBytes) {
        throw tooLarge(
            ctx, "the body is " + declared + " bytes; at most " + limitBytes + " are allowed");
      }
      if (request.isEnded()) {
        ctx.next();
        return;
      }
      if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
        // curl and others wait up to a second for this go-ahead before they send a larger body;
        // it comes only once the declared length has passed the check above.
        ctx.response().writeContinue();
      }
      Buffer body = Buffer.buffer();
      request.handler(
          chunk -> {
            if (ctx.failed()) {
              return;
            }
            if (body.length() + chunk.length() > limitBytes) {
              ctx.fail(tooLarge(ctx, "the body is over " + limitBytes + " bytes"));
              return;
            }
            body.appendBuffer(chunk);
          });
      request.exceptionHandler(
          error -> {
            // A client that went away mid-body (or was cut off by a deadline) has nobody left to
            // answer; failing the route would only log its disconnect as an internal error.
            if (!ctx.response().closed() && !ctx.response().ended()) {
              ctx.fail(error);
            }
          });
      request.endHandler(
          ended -> {
            if (!ctx.failed()) {
              ctx.put(BODY, body);
              ctx.next();
            }
          });
      request.resume();
    };
  }

  private static ApiException tooLarge(RoutingContext ctx, String detail) {
    ctx.response().putHeader("Connection", "close");
    ctx.addEndHandler(ended -> ctx.request().connection().close());
    return ApiException.tooLarge(detail);
  }

  private static long declaredLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private void failure(RoutingContext ctx, int registeredStatus) {
    Problems.countNoReplicas(ctx.request(), services.config().replication());
    Throwable failure = ctx.failure();
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : registeredStatus;
    // vertx-web's CORS handler refuses an origin with 403 and a bare VertxException: the status is
    // the answer, not an internal error.
    boolean refusal = failure instanceof VertxException && status >= 400 && status < 500;
    if (failure != null && !refusal) {
      Problems.respond(ctx, failure);
      return;
    }
    if (status == 405) {
      ctx.response().putHeader("Allow", allowed(ctx.request().path()));
    }
    if (status == 404 && isKeyPath(ctx.request().path())) {
      Problems.respond(ctx, dotSegmentKey(ctx.request().path()));
      return;
    }
    Problems.send(ctx.response(), Problems.forStatus(status, detail(ctx, status)));
  }

  private static boolean isKeyPath(String rawPath) {
    return rawPath != null && KEYSPACE_PREFIXES.stream().anyMatch(rawPath::startsWith);
  }

  /**
   * Every path under a keyspace prefix has a route, so the router finds none only when it has
   * removed dot segments first (RFC 3986 section 5.2.4, also when they are percent-encoded, as
   * {@code %2E} is an unreserved character): {@code /v1/counters/%2E%2E} is routed as {@code /v1/}.
   * A plain 404 would read as "the key is absent"; the key's own problem says why it cannot be
   * used.
   */
  private ApiException dotSegmentKey(String rawPath) {
    String prefix =
        KEYSPACE_PREFIXES.stream().filter(rawPath::startsWith).findFirst().orElseThrow();
    try {
      KeyPath.decode(rawPath, prefix, services.config().limits().maxKeyBytes());
    } catch (ApiException refused) {
      return refused;
    }
    return ApiException.notFound("no resource at " + rawPath);
  }

  private static String detail(RoutingContext ctx, int status) {
    return switch (status) {
      case 400 -> "the request path or query string is malformed (invalid percent-encoding?)";
      case 403 ->
          "the origin "
              + ctx.request().getHeader("Origin")
              + " is not allowed to call this API (http.corsOrigins)";
      case 404 -> "no resource at " + ctx.request().path();
      case 405 -> ctx.request().method() + " is not supported on " + ctx.request().path();
      case 413 -> "the request body is too large";
      default -> "the request could not be handled";
    };
  }

  private static String allowed(String path) {
    if (path.startsWith(RegisterRoutes.PREFIX)) {
      return "GET, HEAD, PUT, DELETE";
    }
    if (path.startsWith(CounterRoutes.PREFIX)) {
      return "GET, HEAD, POST";
    }
    if (path.startsWith(StrongRoutes.PREFIX)) {
      return "GET, HEAD, PUT, DELETE";
    }
    if (path.startsWith(SetRoutes.PREFIX)) {
      return "GET, HEAD, POST, DELETE";
    }
    if (path.equals(AdminRoutes.REPAIR) || path.equals(AdminRoutes.REPAIR + "/")) {
      return "POST";
    }
    return "GET, HEAD";
  }
}
