package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;

/** Checks that a reply is an RFC 9457 problem of API.md section 3. */
final class ProblemAssert {
  private ProblemAssert() {}

  /** Asserts status, Content-Type and the body's {@code type} and {@code status}; returns it. */
  static JsonObject assertProblem(Reply reply, int status, String type) {
    assertThat(reply.status()).as("status of %s", reply).isEqualTo(status);
    assertThat(reply.header("Content-Type"))
        .as("Content-Type of %s", reply)
        .startsWith("application/problem+json");
    JsonObject problem = reply.json();
    assertThat(problem.getString("type")).as("type of %s", reply).isEqualTo("/problems/" + type);
    assertThat(problem.getInteger("status")).as("status field of %s", reply).isEqualTo(status);
    assertThat(problem.getString("title")).as("title of %s", reply).isNotBlank();
    return problem;
  }
}
