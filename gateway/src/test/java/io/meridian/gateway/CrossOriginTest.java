package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with {@code http.corsOrigins} answers a browser's preflight and lets a page of an allowed
 * origin read its answers; another origin is refused and nothing is written.
 */
class CrossOriginTest {
  private static final String APP = "https://app.example.com";

  @TempDir static Path dataDir;
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(dataDir, "http.corsOrigins=[" + APP + ", http://localhost:3000]");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void preflight_fromAnAllowedOrigin_isAnswered() {
    Reply reply =
        node.send(
            node.request("/v1/strong/lock")
                .header("Origin", APP)
                .header("Access-Control-Request-Method", "PUT")
                .header("Access-Control-Request-Headers", "if-match, content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

    assertThat(reply.status()).isEqualTo(204);
    assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo(APP);
    assertThat(reply.header("Access-Control-Allow-Methods")).contains("PUT", "DELETE", "POST");
    assertThat(reply.header("Access-Control-Allow-Headers"))
        .contains("If-Match", "If-None-Match", "Content-Type");
    assertThat(reply.header("Access-Control-Max-Age")).isEqualTo("600");
    assertThat(reply.header("Access-Control-Allow-Credentials")).isNull();
  }

  @Test
  void aRequestFromAnAllowedOrigin_mayReadTheRevisionAndReplicaCount() {
    Reply reply =
        node.send(
            node.request("/v1/keys/cors-ok")
                .header("Origin", "http://localhost:3000")
                .PUT(HttpRequest.BodyPublishers.ofString("v", UTF_8)));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo("http://localhost:3000");
    assertThat(reply.header("Access-Control-Expose-Headers"))
        .contains("ETag", "X-Meridian-Replicas", "Retry-After");
    assertThat(reply.header("Vary")).containsIgnoringCase("Origin");
  }

  @Test
  void aProblemAnswer_carriesTheHeadersToo_soThePageCanReadIt() {
    Reply reply = node.send(node.request("/v1/keys/cors-absent").header("Origin", APP).GET());

    assertProblem(reply, 404, "not-found");
    assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo(APP);
  }

  @Test
  void anotherOrigin_isRefused_andNothingIsWritten() {
    double before = node.storedMutations();

    Reply reply =
        node.send(
            node.request("/v1/counters/cors-refused")
                .header("Origin", "https://evil.example.net")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"delta\": 1}", UTF_8)));

    JsonObject problem = assertProblem(reply, 403, "forbidden");
    assertThat(problem.getString("title")).isEqualTo("Forbidden");
    assertThat(problem.getString("detail"))
        .contains("https://evil.example.net", "http.corsOrigins");
    assertThat(reply.header("Access-Control-Allow-Origin")).isNull();
    assertThat(node.storedMutations()).isEqualTo(before);
    assertThat(node.get("/v1/counters/cors-refused").status()).isEqualTo(404);
  }

  @Test
  void aRequestWithoutAnOrigin_isServedAsBefore() {
    Reply reply = node.get("/v1/cluster/status");

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  void aStar_allowsEveryOrigin(@TempDir Path otherDir) {
    try (TestNode open = TestNode.start(otherDir, "http.corsOrigins=[\"*\"]")) {
      Reply reply =
          open.send(
              open.request("/v1/cluster/status").header("Origin", "https://any.example").GET());

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.header("Access-Control-Allow-Origin")).isEqualTo("*");
    }
  }

  @Test
  void withoutConfiguredOrigins_aPreflightIsJustAnotherMethod(@TempDir Path otherDir) {
    try (TestNode plain = TestNode.start(otherDir)) {
      Reply reply =
          plain.send(
              plain
                  .request("/v1/keys/k")
                  .header("Origin", APP)
                  .header("Access-Control-Request-Method", "PUT")
                  .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

      assertProblem(reply, 405, "method-not-allowed");
      assertThat(reply.header("Access-Control-Allow-Origin")).isNull();
    }
  }
}
