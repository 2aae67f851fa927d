package io.meridian.gateway;

import io.meridian.replication.Consistency;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Query parameters of a request, checked against the names a route accepts: an unknown name, a
 * repeated one or an unknown value is a 400 rather than silently ignored (a mistyped {@code
 * ?consistancy=all} must not quietly run at the default level).
 */
final class RequestParams {
  private final MultiMap params;

  private RequestParams(MultiMap params) {
    this.params = params;
  }

  static RequestParams of(MultiMap params, Set<String> accepted) {
    for (String name : params.names()) {
      if (!accepted.contains(name)) {
        throw ApiException.badRequest(
            "invalid-parameter",
            accepted.isEmpty()
                ? "unknown query parameter '" + name + "'; this request takes none"
                : "unknown query parameter '"
                    + name
                    + "'; accepted: "
                    + String.join(", ", new TreeSet<>(accepted)));
      }
      if (params.getAll(name).size() > 1) {
        throw ApiException.badRequest(
            "invalid-parameter", "query parameter '" + name + "' is given more than once");
      }
    }
    return new RequestParams(params);
  }

  Optional<String> get(String name) {
    return Optional.ofNullable(params.get(name));
  }

  /** {@code ?explain=true}: show every replica's version instead of the value. */
  boolean explain() {
    return get("explain")
        .map(
            value -> {
              if (!value.equals("true") && !value.equals("false")) {
                throw ApiException.badRequest(
                    "invalid-parameter", "explain must be true or false, not '" + value + "'");
              }
              return value.equals("true");
            })
        .orElse(false);
  }

  Optional<Consistency> consistency() {
    return get("consistency")
        .map(
            value ->
                Consistency.byParameter(value)
                    .orElseThrow(
                        () ->
                            ApiException.badRequest(
                                "invalid-parameter",
                                "consistency must be one of "
                                    + List.of("one", "quorum", "all")
                                    + ", not '"
                                    + value
                                    + "'")));
  }
}
