package io.meridian.gateway;

import io.meridian.core.OperationRejectedException;
import io.meridian.core.StoreException;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.Consistency;
import io.meridian.replication.ReplicationException;
import io.meridian.replication.strong.StrongKeyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP responses: every error the node can report is mapped
 * here to an RFC 9457 problem ({@code application/problem+json}).
 */
final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  static final String CONTENT_TYPE = "application/problem+json";
  static final String REPLICAS_HEADER = "X-Meridian-Replicas";

  private static final Map<Integer, String> TITLES =
      Map.ofEntries(
          Map.entry(400, "Bad Request"),
          Map.entry(403, "Forbidden"),
          Map.entry(404, "Not Found"),
          Map.entry(405, "Method Not Allowed"),
          Map.entry(408, "Request Timeout"),
          Map.entry(409, "Conflict"),
          Map.entry(412, "Precondition Failed"),
          Map.entry(413, "Payload Too Large"),
          Map.entry(414, "URI Too Long"),
          Map.entry(431, "Request Header Fields Too Large"),
          Map.entry(500, "Internal Server Error"),
          Map.entry(503, "Service Unavailable"),
          Map.entry(504, "Gateway Timeout"),
          Map.entry(507, "Insufficient Storage"));

  private Problems() {}

  /**
   * Every response of a CRDT keyspace says how many replicas acknowledged it (API.md section 3). A
   * request answered without a count of its own — refused before any replica was asked (bad input,
   * a body over the limit, a header block too large) or cut off by a connection deadline before its
   * coordinator answered — says 0 of those its consistency level needs: none acknowledged it to
   * this response. The level is the configured default when the level itself is what is wrong.
   */
  static void countNoReplicas(HttpServerRequest request, MeridianConfig.Replication replication) {
    String path = request.path();
    HttpServerResponse response = request.response();
    if (path == null
        || response.headers().contains(REPLICAS_HEADER)
        || !(path.startsWith(RegisterRoutes.PREFIX)
            || path.startsWith(CounterRoutes.PREFIX)
            || path.startsWith(SetRoutes.PREFIX))) {
      return;
    }
    int configuredDefault =
        request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD
            ? replication.r()
            : replication.w();
    int required;
    try {
      required =
          Consistency.required(
              Optional.ofNullable(request.getParam("consistency"))
                  .flatMap(Consistency::byParameter),
              replication.n(),
              configuredDefault);
    } catch (RuntimeException e) {
      required = configuredDefault; // a query string that does not even decode
    }
    response.putHeader(REPLICAS_HEADER, "0/" + required);
  }

  /** A problem response for {@code failure}, unless a response has already begun. */
  static void respond(RoutingContext ctx, Throwable failure) {
    HttpMethod method = ctx.request().method();
    respond(
        ctx.response(), failure, !method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD));
  }

  private static void respond(HttpServerResponse response, Throwable failure, boolean write) {
    Problem problem = toProblem(failure, write);
    if (failure instanceof ReplicationException replication) {
      response.putHeader(REPLICAS_HEADER, replication.acked() + "/" + replication.required());
    }
    if (problem.status() == 503) {
      response.putHeader("Retry-After", "1");
    }
    if (failure instanceof StrongKeyException strong && strong.currentRevision().isPresent()) {
      long revision = strong.currentRevision().getAsLong();
      response.putHeader("ETag", "\"" + revision + "\"");
      send(response, problem.status(), problem.toJson().put("revision", revision));
      return;
    }
    send(response, problem);
  }

  private static void send(HttpServerResponse response, int status, JsonObject problem) {
    if (response.headWritten() || response.closed()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(problem.toBuffer());
  }

  static void send(HttpServerResponse response, Problem problem) {
    if (response.headWritten() || response.closed()) {
      return;
    }
    response
        .setStatusCode(problem.status())
        .putHeader("Content-Type", CONTENT_TYPE)
        .end(problem.toJson().toBuffer());
  }

  /** A problem for a status the HTTP layer decided (405, 413 from limits, 431, ...). */
  static Problem forStatus(int status, String detail) {
    String type =
        switch (status) {
          case 400 -> "bad-request";
          case 403 -> "forbidden";
          case 404 -> "not-found";
          case 405 -> "method-not-allowed";
          case 408 -> "request-timeout";
          case 413 -> "payload-too-large";
          case 414 -> "uri-too-long";
          case 431 -> "headers-too-large";
          case 503 -> "unavailable";
          case 504 -> "timeout";
          default -> status >= 500 ? "internal" : "bad-request";
        };
    return new Problem(type, status, detail);
  }

  /**
   * @param write whether the request would have changed data: only then may a timeout leave
   *     something applied
   */
  static Problem toProblem(Throwable failure, boolean write) {
    if (failure instanceof ApiException api) {
      return new Problem(api.type(), api.status(), api.getMessage());
    }
    if (failure instanceof HttpException http && http.getStatusCode() < 500) {
      // vertx-web's own refusals, e.g. a query string with invalid percent-encoding.
      String detail = http.getPayload() != null ? http.getPayload() : http.getMessage();
      return forStatus(
          http.getStatusCode(), detail != null ? detail : "the request could not be handled");
    }
    if (failure instanceof ReplicationException replication) {
      return switch (replication.reason()) {
        case UNAVAILABLE -> new Problem("unavailable", 503, replication.getMessage());
        case TIMEOUT ->
            new Problem(
                "timeout",
                504,
                replication.getMessage()
                    + (write
                        ? "; the write may still be applied: it is kept and propagates"
                        : "; nothing was changed, retry or read at a lower consistency"));
      };
    }
    if (failure instanceof StrongKeyException strong) {
      return switch (strong.reason()) {
        case PRECONDITION_FAILED -> new Problem("precondition-failed", 412, strong.getMessage());
        case NOT_FOUND -> new Problem("not-found", 404, strong.getMessage());
        case UNAVAILABLE -> new Problem("unavailable", 503, strong.getMessage());
        case TIMEOUT -> new Problem("timeout", 504, strong.getMessage());
      };
    }
    if (failure instanceof OperationRejectedException rejected) {
      return switch (rejected.reason()) {
        case COUNTER_OVERFLOW -> new Problem("counter-overflow", 400, rejected.getMessage());
      };
    }
    if (failure instanceof StoreException store) {
      return switch (store.reason()) {
        case FULL -> new Problem("insufficient-storage", 507, store.getMessage());
        case OVERLOADED, CLOSED, REPAIRING -> new Problem("unavailable", 503, store.getMessage());
        case CORRUPT, INCOMPATIBLE, IN_USE, IO -> internal(failure);
      };
    }
    return internal(failure);
  }

  private static Problem internal(Throwable failure) {
    log.error("request failed", failure);
    return new Problem("internal", 500, "internal error: " + failure.getClass().getSimpleName());
  }

  /** An RFC 9457 problem document. */
  record Problem(String type, int status, String detail) {
    JsonObject toJson() {
      return new JsonObject()
          .put("type", "/problems/" + type)
          .put("title", TITLES.getOrDefault(status, "Error"))
          .put("status", status)
          .put("detail", detail);
    }
  }
}
