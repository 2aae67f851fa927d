package io.meridian.gateway;

import io.meridian.replication.strong.Precondition;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads the condition of a write from {@code If-Match} / {@code If-None-Match} (RFC 9110 section
 * 13.1): one entity tag or {@code *} in {@code If-Match}, {@code *} (create only) in {@code
 * If-None-Match}. The tag is the key's revision (strong keys) or version (LWW registers), as its
 * {@code ETag} gave it. Anything else is refused with 400 before the write is tried, so a client
 * never mistakes an ignored condition for a checked one.
 */
final class WritePreconditions {
  private WritePreconditions() {}

  /**
   * @param createAllowed whether {@code If-None-Match: *} means something here (a PUT may create; a
   *     DELETE may not)
   * @param noun what the tag names, for the refusal's detail ("revision", "version")
   * @return the condition; {@link Precondition.None} without either header
   */
  static Precondition of(RoutingContext ctx, boolean createAllowed, String noun) {
    String ifMatch = ctx.request().getHeader("If-Match");
    String ifNoneMatch = ctx.request().getHeader("If-None-Match");
    if (ifMatch != null && ifNoneMatch != null) {
      throw ApiException.badRequest(
          "invalid-precondition", "send If-Match or If-None-Match, not both");
    }
    if (ifNoneMatch != null) {
      if (!createAllowed || !ifNoneMatch.trim().equals("*")) {
        throw ApiException.badRequest(
            "invalid-precondition",
            createAllowed
                ? "If-None-Match supports only * (create if absent)"
                : "If-None-Match is not supported on DELETE");
      }
      return new Precondition.Absent();
    }
    if (ifMatch == null) {
      return new Precondition.None();
    }
    String tag = ifMatch.trim();
    if (tag.equals("*")) {
      return new Precondition.Exists();
    }
    if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
      tag = tag.substring(1, tag.length() - 1);
    }
    long expected;
    try {
      expected = Long.parseLong(tag);
    } catch (NumberFormatException e) {
      expected = 0;
    }
    // Entity tags compare character by character (RFC 9110 section 8.8.3.2): "021" is not the
    // tag "21" this API issues, and no tag it issues has leading zeros or a sign.
    if (expected <= 0 || !Long.toString(expected).equals(tag)) {
      throw ApiException.badRequest(
          "invalid-precondition",
          "If-Match must be one " + noun + " as an entity tag (\"7\") or *, not '" + ifMatch + "'");
    }
    return new Precondition.RevisionIs(expected);
  }
}
