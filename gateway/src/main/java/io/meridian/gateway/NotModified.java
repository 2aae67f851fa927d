package io.meridian.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Conditional GETs (RFC 9110 section 13.1.2): a client that holds a copy sends its entity tag in
 * {@code If-None-Match} and gets {@code 304 Not Modified}, with no body, while the value is still
 * that one. This is how an offline-first client revalidates what it cached without downloading it
 * again. Entity tags compare weakly ({@code W/"7"} matches {@code "7"}); {@code *} matches any
 * value that exists.
 */
final class NotModified {
  private NotModified() {}

  /**
   * Answers 304 if the request's {@code If-None-Match} matches {@code etag}, the current value's
   * tag; the caller has set the headers a 200 would carry except the body's.
   *
   * @return whether the request was answered
   */
  static boolean answered(RoutingContext ctx, String etag) {
    String ifNoneMatch = ctx.request().getHeader("If-None-Match");
    if (ifNoneMatch == null || !matches(ifNoneMatch, etag)) {
      return false;
    }
    HttpServerResponse response = ctx.response();
    response.setStatusCode(304).putHeader("ETag", etag).end();
    return true;
  }

  static boolean matches(String ifNoneMatch, String etag) {
    String current = opaque(etag);
    for (String candidate : ifNoneMatch.split(",")) {
      String tag = candidate.strip();
      if (tag.equals("*") || opaque(tag).equals(current)) {
        return true;
      }
    }
    return false;
  }

  private static String opaque(String tag) {
    return tag.startsWith("W/") ? tag.substring(2) : tag;
  }
}
