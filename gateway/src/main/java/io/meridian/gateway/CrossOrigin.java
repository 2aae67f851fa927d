package io.meridian.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Cross-origin resource sharing (the Fetch standard's CORS protocol) for the origins in {@code
 * http.corsOrigins}: a web app served from another origin, such as an offline-first client syncing
 * through this gateway, may call the API and read its answers, as CouchDB's and etcd's {@code
 * --cors} allow. With no origins configured no handler is installed and browsers keep their
 * same-origin rule.
 *
 * <p>What a page may send and read follows the API: the methods it serves, the request headers it
 * reads (conditional writes and reads need {@code If-Match} and {@code If-None-Match}), and the
 * response headers a client acts on (revisions in {@code ETag}, the replica count, when to retry).
 * No credentials: the API has no cookies or authentication for a browser to attach.
 */
final class CrossOrigin {
  private static final List<HttpMethod> METHODS =
      List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PUT, HttpMethod.POST, HttpMethod.DELETE);
  private static final List<String> REQUEST_HEADERS =
      List.of("Content-Type", "If-Match", "If-None-Match");
  private static final List<String> EXPOSED_HEADERS =
      List.of("ETag", Problems.REPLICAS_HEADER, "Retry-After", "Location");

  /** How long a browser may cache a preflight's answer (browsers cap it at 2 h or less). */
  private static final int PREFLIGHT_MAX_AGE_SECONDS = 600;

  private CrossOrigin() {}

  /**
   * The handler for {@code origins}, a validated {@code http.corsOrigins} ({@code ["*"]} for every
   * origin); a request from another origin is refused with 403.
   */
  static CorsHandler handler(List<String> origins) {
    CorsHandler handler = CorsHandler.create();
    if (origins.equals(List.of("*"))) {
      handler.addOrigin("*");
    } else {
      handler.addOrigins(origins);
    }
    return handler
        .allowedMethods(new LinkedHashSet<>(METHODS))
        .allowedHeaders(new LinkedHashSet<>(REQUEST_HEADERS))
        .exposedHeaders(new LinkedHashSet<>(EXPOSED_HEADERS))
        .maxAgeSeconds(PREFLIGHT_MAX_AGE_SECONDS)
        .allowCredentials(false);
  }
}
