package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/strong} on one node (API.md, "Strong keys"): revisions in {@code ETag},
 * compare-and-set with {@code If-Match}, create with {@code If-None-Match: *}, 404 and 412, stale
 * reads, the Raft groups in the cluster status, and bad input that changes nothing.
 */
class StrongKeysApiTest {
  @TempDir static Path dataDir;
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(dataDir, "raft.electionTimeoutMs=300");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void put_thenGet_returnsBytesContentTypeAndRevision() {
    byte[] value = {0, 1, 2, (byte) 0xff, 'h', 'i'};
    Reply put = node.put("/v1/strong/roundtrip", value, "image/x-test; charset=binary");
    assertThat(put.status()).as("%s", put).isEqualTo(200);
    long revision = put.json().getLong("revision");
    assertThat(put.json().getString("key")).isEqualTo("roundtrip");
    assertThat(put.header("ETag")).isEqualTo(etag(revision));

    Reply get = node.get("/v1/strong/roundtrip");
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(value);
    assertThat(get.header("Content-Type")).isEqualTo("image/x-test; charset=binary");
    assertThat(get.header("ETag")).isEqualTo(etag(revision));

    Reply stale = node.get("/v1/strong/roundtrip?consistency=stale");
    assertThat(stale.body()).isEqualTo(value);
    assertThat(node.get("/v1/strong/roundtrip?consistency=linearizable").body()).isEqualTo(value);
  }

  @Test
  void put_withoutContentType_isStoredAsOctetStream() {
    node.put("/v1/strong/untyped", bytes("raw"), null);
    assertThat(node.get("/v1/strong/untyped").header("Content-Type"))
        .isEqualTo("application/octet-stream");
  }

  @Test
  void overwrite_getsAHigherRevision() {
    long first = revision(node.put("/v1/strong/overwrite", bytes("one"), "text/plain"));
    long second = revision(node.put("/v1/strong/overwrite", bytes("two"), "text/plain"));
    assertThat(second).isGreaterThan(first);
    assertThat(node.get("/v1/strong/overwrite").text()).isEqualTo("two");
  }

  @Test
  void get_ifMatchNotTheCurrentRevision_is412WithTheCurrentEtag() {
    long revision = revision(node.put("/v1/strong/read-if-match", bytes("one"), "text/plain"));

    Reply stale =
        node.send(node.request("/v1/strong/read-if-match").header("If-Match", etag(revision + 1)));
    assertProblem(stale, 412, "precondition-failed");
    assertThat(stale.header("ETag")).isEqualTo(etag(revision));

    for (String matching : new String[] {etag(revision), "*"}) {
      Reply current =
          node.send(node.request("/v1/strong/read-if-match").header("If-Match", matching));
      assertThat(current.status()).as("If-Match: %s", matching).isEqualTo(200);
      assertThat(current.text()).isEqualTo("one");
    }

    assertProblem(
        node.send(node.request("/v1/strong/read-if-match-absent").header("If-Match", "*")),
        412,
        "precondition-failed");
  }

  @Test
  void ifMatch_currentRevision_swaps_andAStaleOneIsRefusedWithTheCurrentRevision() {
    long first = revision(node.put("/v1/strong/cas", bytes("one"), "text/plain"));
    Reply swapped = put("/v1/strong/cas", "two", "If-Match", etag(first));
    assertThat(swapped.status()).as("%s", swapped).isEqualTo(200);
    long second = revision(swapped);
    assertThat(second).isGreaterThan(first);

    Reply lost = put("/v1/strong/cas", "lost", "If-Match", etag(first));
    JsonObject problem = assertProblem(lost, 412, "precondition-failed");
    assertThat(problem.getLong("revision")).isEqualTo(second);
    assertThat(lost.header("ETag")).isEqualTo(etag(second));
    assertThat(node.get("/v1/strong/cas").text()).isEqualTo("two");

    // A bare number is accepted too, and * means "exists".
    assertThat(put("/v1/strong/cas", "three", "If-Match", Long.toString(second)).status())
        .isEqualTo(200);
    assertThat(put("/v1/strong/cas", "four", "If-Match", "*").status()).isEqualTo(200);
  }

  @Test
  void ifMatch_onAnAbsentKey_isRefused() {
    Reply reply = put("/v1/strong/cas-absent", "x", "If-Match", "\"1\"");
    JsonObject problem = assertProblem(reply, 412, "precondition-failed");
    assertThat(problem.containsKey("revision")).isFalse();
    assertProblem(put("/v1/strong/cas-absent", "x", "If-Match", "*"), 412, "precondition-failed");
    assertProblem(node.get("/v1/strong/cas-absent"), 404, "not-found");
  }

  @Test
  void ifNoneMatchStar_createsOnlyOnce() {
    Reply created = put("/v1/strong/create", "first", "If-None-Match", "*");
    assertThat(created.status()).as("%s", created).isEqualTo(200);
    Reply again = put("/v1/strong/create", "second", "If-None-Match", "*");
    assertProblem(again, 412, "precondition-failed");
    assertThat(again.header("ETag")).isEqualTo(created.header("ETag"));
    assertThat(node.get("/v1/strong/create").text()).isEqualTo("first");
  }

  @Test
  void get_ifNoneMatchOfTheCurrentRevision_is304WithoutBody() {
    long revision = revision(put("/v1/strong/conditional", "a", "If-None-Match", "*"));

    Reply unchanged =
        send(node.request("/v1/strong/conditional").header("If-None-Match", "W/" + etag(revision)));
    assertThat(unchanged.status()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();
    assertThat(unchanged.header("ETag")).isEqualTo(etag(revision));

    Reply other =
        send(node.request("/v1/strong/conditional").header("If-None-Match", etag(revision + 1)));
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.text()).isEqualTo("a");
  }

  @Test
  void get_ofAnAbsentKey_is404() {
    assertProblem(node.get("/v1/strong/never-written"), 404, "not-found");
    assertProblem(node.get("/v1/strong/never-written?consistency=stale"), 404, "not-found");
  }

  @Test
  void delete_removes_then404_andIfMatchIsChecked() {
    long written = revision(node.put("/v1/strong/delete-me", bytes("v"), "text/plain"));
    assertProblem(
        send(node.request("/v1/strong/delete-me").header("If-Match", etag(written + 100)).DELETE()),
        412,
        "precondition-failed");
    Reply deleted =
        send(node.request("/v1/strong/delete-me").header("If-Match", etag(written)).DELETE());
    assertThat(deleted.status()).as("%s", deleted).isEqualTo(200);
    assertThat(revision(deleted)).isGreaterThan(written);
    assertProblem(node.get("/v1/strong/delete-me"), 404, "not-found");
    assertProblem(node.delete("/v1/strong/delete-me"), 404, "not-found");
    // Created again after the delete: a fresh key, with a higher revision.
    Reply recreated = put("/v1/strong/delete-me", "again", "If-None-Match", "*");
    assertThat(revision(recreated)).isGreaterThan(revision(deleted));
  }

  @Test
  void longKeys_upToTheLimit_work() {
    String key = "k".repeat(512);
    assertThat(node.put("/v1/strong/" + key, bytes("long"), "text/plain").status()).isEqualTo(200);
    assertThat(node.get("/v1/strong/" + key).text()).isEqualTo("long");
    String other = "k".repeat(511) + "j";
    assertProblem(node.get("/v1/strong/" + other), 404, "not-found");
    String encoded = "%E2%9C%93%2F" + "x";
    node.put("/v1/strong/" + encoded, bytes("slash"), "text/plain");
    assertThat(node.get("/v1/strong/%E2%9C%93%2Fx").text()).isEqualTo("slash");
  }

  @Test
  void badInput_isRefused_andChangesNothing() throws Exception {
    long revision = revision(node.put("/v1/strong/guarded", bytes("kept"), "text/plain"));
    assertProblem(node.put("/v1/strong/", bytes("x"), "text/plain"), 400, "invalid-key");
    assertProblem(
        node.put("/v1/strong/" + "k".repeat(513), bytes("x"), "text/plain"), 400, "invalid-key");
    assertThat(RawHttp.exchange(node.port(), RawHttp.head("GET", "/v1/strong/bad%zz")).status())
        .isEqualTo(400);
    assertProblem(node.get("/v1/strong/guarded?consistency=quorum"), 400, "invalid-parameter");
    assertProblem(node.get("/v1/strong/guarded?color=red"), 400, "invalid-parameter");
    assertProblem(
        node.put("/v1/strong/guarded?consistency=stale", bytes("x"), "text/plain"),
        400,
        "invalid-parameter");
    assertProblem(
        put("/v1/strong/guarded", "x", "If-Match", "\"abc\""), 400, "invalid-precondition");
    assertProblem(
        put("/v1/strong/guarded", "x", "If-Match", "\"1\", \"2\""), 400, "invalid-precondition");
    // Tags compare character by character: no revision's tag has a leading zero or a sign.
    for (String notATag : List.of("\"01\"", "\"+1\"")) {
      assertProblem(
          put("/v1/strong/guarded", "x", "If-Match", notATag), 400, "invalid-precondition");
    }
    assertProblem(
        put("/v1/strong/guarded", "x", "If-None-Match", "\"3\""), 400, "invalid-precondition");
    assertProblem(
        send(
            node.request("/v1/strong/guarded")
                .header("If-Match", "*")
                .header("If-None-Match", "*")
                .PUT(HttpRequest.BodyPublishers.ofString("x"))),
        400,
        "invalid-precondition");
    assertProblem(
        send(node.request("/v1/strong/guarded").header("If-None-Match", "*").DELETE()),
        400,
        "invalid-precondition");
    // Refused from the Content-Length alone; the body is never sent (a client still sending it
    // could find the connection closed before it reads the answer).
    try (Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(
          socket,
          RawHttp.head("PUT", "/v1/strong/guarded", "Content-Length: " + (1024 * 1024 + 1)));
      assertProblem(RawHttp.read(socket.getInputStream()), 413, "payload-too-large");
    }
    Reply post = node.post("/v1/strong/guarded", "{}");
    assertProblem(post, 405, "method-not-allowed");
    assertThat(post.header("Allow")).isEqualTo("GET, HEAD, PUT, DELETE");

    Reply after = node.get("/v1/strong/guarded");
    assertThat(after.text()).isEqualTo("kept");
    assertThat(after.header("ETag")).isEqualTo(etag(revision));
  }

  @Test
  void clusterStatus_listsTheRaftGroups() {
    JsonArray groups =
        node.get("/v1/cluster/status").json().getJsonObject("raft").getJsonArray("groups");
    assertThat(groups).hasSize(8);
    for (int i = 0; i < groups.size(); i++) {
      JsonObject group = groups.getJsonObject(i);
      assertThat(group.getInteger("id")).isEqualTo(i);
      assertThat(group.getJsonArray("voters")).containsExactly("n1");
      assertThat(group.getString("role")).isIn("leader", "candidate", "follower");
      assertThat(group.getLong("term")).isNotNull();
    }
  }

  @Test
  void metrics_sayEveryGroupHasThisNodeAsLeader_elected_atLeastOnce() {
    assertThat(node.put("/v1/strong/metrics", bytes("v"), "text/plain").status()).isEqualTo(200);
    // The gauges read a snapshot taken every second.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              String text = node.get("/metrics").text();
              for (int group = 0; group < 8; group++) {
                assertThat(text)
                    .contains("meridian_strong_group_has_leader{group=\"" + group + "\"} 1.0")
                    .contains("meridian_strong_group_is_leader{group=\"" + group + "\"} 1.0")
                    .contains("meridian_strong_group_leader_changes_total{group=\"" + group + "\"}")
                    .doesNotContain(
                        "meridian_strong_group_leader_changes_total{group=\"" + group + "\"} 0.0");
              }
            });
  }

  private static Reply put(String path, String value, String header, String headerValue) {
    return send(
        node.request(path)
            .header(header, headerValue)
            .header("Content-Type", "text/plain")
            .PUT(HttpRequest.BodyPublishers.ofString(value, UTF_8)));
  }

  private static Reply send(HttpRequest.Builder request) {
    return node.send(request);
  }

  private static long revision(Reply reply) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    long revision = reply.json().getLong("revision");
    assertThat(reply.header("ETag")).isEqualTo(etag(revision));
    return revision;
  }

  private static String etag(long revision) {
    return "\"" + revision + "\"";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }
}
