package io.meridian.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Request rates and latencies per route ({@code meridian_http_server_requests_seconds}, tagged with
 * route, method and status). Every tag has a fixed set of values whatever clients send: the route
 * is the API's own route template, such as {@code /v1/counters/{key}}, or {@code other}; the method
 * is one of RFC 9110's or {@code OTHER}, since any token is a valid method on the wire and each one
 * would otherwise add a set of series that lives as long as the node; the status is the one this
 * node answered. Meters are looked up in a small map of our own rather than through the registry on
 * every request, which on this path cost more than the request itself.
 */
final class RouteMetrics {
  private static final String[][] ROUTES = {
    {RegisterRoutes.PREFIX, "/v1/keys/{key}"},
    {CounterRoutes.PREFIX, "/v1/counters/{key}"},
    {SetRoutes.PREFIX, "/v1/sets/{key}"},
    {StrongRoutes.PREFIX, "/v1/strong/{key}"},
    {"/v1/admin/repair/", "/v1/admin/repair/{id}"},
  };

  private static final Set<String> STANDARD_METHODS =
      Set.of("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT");

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  RouteMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The first handler of every request: times it until its response ends. */
  void onRequest(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addEndHandler(
        ended ->
            timer(
                    route(ctx.request().path()),
                    methodTag(ctx.request().method()),
                    ctx.response().getStatusCode())
                .record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    ctx.next();
  }

  /**
   * The method's name if it is one of RFC 9110's (and PATCH); {@code OTHER} for any other token.
   */
  private static String methodTag(HttpMethod method) {
    String name = method.name();
    return STANDARD_METHODS.contains(name) ? name : "OTHER";
  }

  private Timer timer(String route, String method, int status) {
    String id = route + ' ' + method + ' ' + status;
    Timer timer = timers.get(id);
    return timer != null
        ? timer
        : timers.computeIfAbsent(
            id,
            missing ->
                Timer.builder("meridian.http.server.requests")
                    .description("HTTP requests by route, method and status")
                    .tag("route", route)
                    .tag("method", method)
                    .tag("code", Integer.toString(status))
                    .publishPercentileHistogram()
                    .register(registry));
  }

  private static String route(String path) {
    for (String[] route : ROUTES) {
      if (path.startsWith(route[0])) {
        return route[1];
      }
    }
    return switch (path) {
      case "/v1/cluster/status", "/v1/cluster/ring", "/v1/admin/repair", "/health", "/metrics" ->
          path;
      default -> "other";
    };
  }
}
