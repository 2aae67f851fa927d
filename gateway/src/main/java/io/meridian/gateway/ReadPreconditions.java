package io.meridian.gateway;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * The conditions of a GET or HEAD (RFC 9110 section 13.1), evaluated in the order of section
 * 13.2.2.
 *
 * <p>{@code If-Match}: a client that read a value at one entity tag reads on only while the value
 * is still that one, and gets {@code 412 Precondition Failed} with the current tag otherwise. Tags
 * compare strongly here ({@code W/"7"} matches nothing), {@code *} matches any value that exists,
 * and nothing matches a key that does not exist.
 *
 * <p>{@code If-None-Match}: a client that holds a copy sends its entity tag and gets {@code 304 Not
 * Modified}, with no body, while the value is still that one. This is how an offline-first client
 * revalidates what it cached without downloading it again. Tags compare weakly ({@code W/"7"}
 * matches {@code "7"}); {@code *} matches any value that exists.
 */
final class ReadPreconditions {
  private ReadPreconditions() {}

  /**
   * Answers 412 if the request's {@code If-Match} does not match {@code etag}, the current value's
   * tag, or 304 if its {@code If-None-Match} does; the caller has set the headers a 200 would carry
   * except the body's.
   *
   * @return whether the request was answered
   */
  static boolean answered(RoutingContext ctx, String etag) {
    String ifMatch = ctx.request().getHeader("If-Match");
    HttpServerResponse response = ctx.response();
    if (ifMatch != null && !matchesStrongly(ifMatch, etag)) {
      response.putHeader("ETag", etag);
      Problems.respond(
          ctx,
          ApiException.preconditionFailed(
              "the current entity tag is " + etag + ", not one that If-Match names"));
      return true;
    }
    String ifNoneMatch = ctx.request().getHeader("If-None-Match");
    if (ifNoneMatch == null || !matches(ifNoneMatch, etag)) {
      return false;
    }
    response.setStatusCode(304).putHeader("ETag", etag).end();
    return true;
  }

  /**
   * Answers 412 if the request has an {@code If-Match}, for a key that has no value: no tag, not
   * even {@code *}, matches it.
   *
   * @param absence why there is no value, for the problem's detail
   * @return whether the request was answered
   */
  static boolean answeredAbsent(RoutingContext ctx, String absence) {
    if (ctx.request().getHeader("If-Match") == null) {
      return false;
    }
    Problems.respond(ctx, ApiException.preconditionFailed(absence + ", so If-Match fails"));
    return true;
  }

  /** The weak comparison of {@code If-None-Match}. */
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

  /** The strong comparison of {@code If-Match}: a weak tag never matches. */
  static boolean matchesStrongly(String ifMatch, String etag) {
    for (String candidate : ifMatch.split(",")) {
      String tag = candidate.strip();
      if (tag.equals("*") || (!etag.startsWith("W/") && tag.equals(etag))) {
        return true;
      }
    }
    return false;
  }

  private static String opaque(String tag) {
    return tag.startsWith("W/") ? tag.substring(2) : tag;
  }
}
