package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The happy paths of API.md section 3 for CRDT keys, cluster and operations on one node. */
class HttpApiTest {
  private static final String REPLICAS = "X-Meridian-Replicas";

  @TempDir static Path dataDir;
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(dataDir);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  // --- LWW registers -------------------------------------------------------------------------

  @Test
  void putKey_thenGet_returnsBytesContentTypeAndEtag() {
    byte[] value = {0, 1, 2, (byte) 0xff, 'h', 'i'};
    Reply put = node.put("/v1/keys/register-roundtrip", value, "image/x-test; charset=binary");
    assertThat(put.status()).isEqualTo(200);
    assertCrdtReply(put);

    Reply get = node.get("/v1/keys/register-roundtrip");
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(value);
    assertThat(get.header("Content-Type")).isEqualTo("image/x-test; charset=binary");
    assertThat(get.header("ETag")).isEqualTo(put.header("ETag"));
    assertThat(get.header(REPLICAS)).isEqualTo("1/1");
  }

  @Test
  void headKey_hasTheHeadersOfGet_andNoBody() {
    Reply put = node.put("/v1/keys/register-head", bytes("hello"), "text/plain");
    Reply head = node.method("HEAD", "/v1/keys/register-head");
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.header("ETag")).isEqualTo(put.header("ETag"));
    assertThat(head.header("Content-Type")).isEqualTo("text/plain");
    assertThat(head.header(REPLICAS)).isEqualTo("1/1");
    assertThat(node.method("HEAD", "/v1/keys/register-head-absent").status()).isEqualTo(404);
    assertThat(node.method("HEAD", "/health").status()).isEqualTo(200);
  }

  @Test
  void getKey_ifNoneMatchOfTheCurrentVersion_is304WithoutBody_elseTheValue() {
    String etag =
        node.put("/v1/keys/register-conditional", bytes("v1"), "text/plain").header("ETag");

    Reply unchanged =
        node.send(node.request("/v1/keys/register-conditional").header("If-None-Match", etag));
    assertThat(unchanged.status()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();
    assertThat(unchanged.header("ETag")).isEqualTo(etag);
    assertThat(unchanged.header(REPLICAS)).isEqualTo("1/1");

    String newer =
        node.put("/v1/keys/register-conditional", bytes("v2"), "text/plain").header("ETag");
    Reply changed =
        node.send(node.request("/v1/keys/register-conditional").header("If-None-Match", etag));
    assertThat(changed.status()).isEqualTo(200);
    assertThat(changed.text()).isEqualTo("v2");
    assertThat(changed.header("ETag")).isEqualTo(newer);
  }

  @Test
  void getKey_ifMatchNotTheCurrentVersion_is412WithTheCurrentEtag() {
    String path = "/v1/keys/register-read-if-match";
    String etag = node.put(path, bytes("v1"), "text/plain").header("ETag");

    Reply stale = node.send(node.request(path).header("If-Match", "\"1\""));
    assertProblem(stale, 412, "precondition-failed");
    assertThat(stale.header("ETag")).isEqualTo(etag);
    assertThat(stale.header(REPLICAS)).isEqualTo("1/1");
    Reply weak = node.send(node.request(path).header("If-Match", "W/" + etag));
    assertProblem(weak, 412, "precondition-failed");
    Reply head =
        node.send(
            node.request(path)
                .header("If-Match", "\"1\"")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(head.status()).isEqualTo(412);
    assertThat(head.header("ETag")).isEqualTo(etag);

    for (String matching : new String[] {etag, "*", "\"1\", " + etag}) {
      Reply current = node.send(node.request(path).header("If-Match", matching));
      assertThat(current.status()).as("If-Match: %s", matching).isEqualTo(200);
      assertThat(current.text()).isEqualTo("v1");
    }

    Reply absent =
        node.send(node.request("/v1/keys/register-read-if-match-absent").header("If-Match", "*"));
    assertProblem(absent, 412, "precondition-failed");
    assertThat(absent.header(REPLICAS)).isEqualTo("1/1");
  }

  @Test
  void putKey_ifMatchOfTheVersionRead_writes_anOlderVersion_is412AndChangesNothing() {
    String path = "/v1/keys/register-if-match";
    String first = node.put(path, bytes("v1"), "text/plain").header("ETag");
    String second = node.put(path, bytes("v2"), "text/plain").header("ETag");

    Reply stale = node.send(conditionalPut(path, "If-Match", first, "lost update"));
    assertProblem(stale, 412, "precondition-failed");
    assertThat(stale.header("ETag")).as("the version found").isEqualTo(second);
    assertThat(stale.header(REPLICAS)).isEqualTo("1/1");
    assertThat(node.get(path).text()).isEqualTo("v2");

    Reply current = node.send(conditionalPut(path, "If-Match", second, "v3"));
    assertThat(current.status()).isEqualTo(200);
    assertThat(node.get(path).text()).isEqualTo("v3");
    assertThat(node.get(path).header("ETag")).isEqualTo(current.header("ETag"));
  }

  @Test
  void putKey_ifNoneMatchStar_createsOnlyWhenAbsent_ifMatchStar_onlyWhenPresent() {
    String path = "/v1/keys/register-create";
    assertProblem(
        node.send(conditionalPut(path, "If-Match", "*", "x")), 412, "precondition-failed");
    assertThat(node.get(path).status()).isEqualTo(404);

    assertThat(node.send(conditionalPut(path, "If-None-Match", "*", "first")).status())
        .isEqualTo(200);
    assertProblem(
        node.send(conditionalPut(path, "If-None-Match", "*", "second")),
        412,
        "precondition-failed");
    assertThat(node.get(path).text()).isEqualTo("first");

    assertThat(node.send(conditionalPut(path, "If-Match", "*", "third")).status()).isEqualTo(200);
    assertThat(node.get(path).text()).isEqualTo("third");
  }

  @Test
  void deleteKey_ifMatch_deletesOnlyTheVersionRead() {
    String path = "/v1/keys/register-delete-if-match";
    String first = node.put(path, bytes("v1"), "text/plain").header("ETag");
    String second = node.put(path, bytes("v2"), "text/plain").header("ETag");

    assertProblem(
        node.send(node.request(path).header("If-Match", first).DELETE()),
        412,
        "precondition-failed");
    assertThat(node.get(path).text()).isEqualTo("v2");

    assertThat(node.send(node.request(path).header("If-Match", second).DELETE()).status())
        .isEqualTo(200);
    assertThat(node.get(path).status()).isEqualTo(404);
  }

  @Test
  void putKey_malformedPrecondition_is400AndChangesNothing() {
    String path = "/v1/keys/register-bad-precondition";
    node.put(path, bytes("v1"), "text/plain");
    double before = node.storedMutations();

    assertProblem(
        node.send(conditionalPut(path, "If-Match", "\"yesterday\"", "x")),
        400,
        "invalid-precondition");
    assertProblem(
        node.send(conditionalPut(path, "If-None-Match", "\"1\"", "x")),
        400,
        "invalid-precondition");
    assertProblem(
        node.send(node.request(path).header("If-None-Match", "*").DELETE()),
        400,
        "invalid-precondition");
    assertThat(node.storedMutations()).isEqualTo(before);
    assertThat(node.get(path).text()).isEqualTo("v1");
  }

  private static HttpRequest.Builder conditionalPut(
      String path, String header, String tag, String value) {
    return node.request(path)
        .header(header, tag)
        .header("Content-Type", "text/plain")
        .PUT(HttpRequest.BodyPublishers.ofString(value, UTF_8));
  }

  @Test
  void putKey_versionInBody_equalsEtag() {
    Reply put = node.put("/v1/keys/register-version", "v".getBytes(UTF_8), "text/plain");
    JsonObject body = put.json();
    assertThat(body.getString("key")).isEqualTo("register-version");
    assertThat(put.header("ETag")).isEqualTo("\"" + body.getLong("version") + "\"");
  }

  @Test
  void putKey_overwrite_returnsNewValueWithHigherVersion() {
    long first =
        node.put("/v1/keys/register-overwrite", bytes("one"), "text/plain")
            .json()
            .getLong("version");
    long second =
        node.put("/v1/keys/register-overwrite", bytes("two"), "text/csv").json().getLong("version");
    assertThat(second).isGreaterThan(first);
    Reply get = node.get("/v1/keys/register-overwrite");
    assertThat(get.text()).isEqualTo("two");
    assertThat(get.header("Content-Type")).isEqualTo("text/csv");
    assertThat(get.header("ETag")).isEqualTo("\"" + second + "\"");
  }

  @Test
  void putKey_withoutContentType_isStoredAsOctetStream() {
    node.put("/v1/keys/register-untyped", bytes("raw"), null);
    assertThat(node.get("/v1/keys/register-untyped").header("Content-Type"))
        .isEqualTo("application/octet-stream");
  }

  @Test
  void putKey_emptyBody_storesEmptyValue() {
    assertThat(node.put("/v1/keys/register-empty", new byte[0], "text/plain").status())
        .isEqualTo(200);
    Reply get = node.get("/v1/keys/register-empty");
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEmpty();
  }

  /** Regression: the body was parsed as a multipart form and an empty value stored. */
  @Test
  void putKey_multipartContentType_storesRawBytes() {
    String type = "multipart/form-data; boundary=xyz";
    assertThat(node.put("/v1/keys/register-multipart", bytes("hello"), type).status())
        .isEqualTo(200);
    Reply get = node.get("/v1/keys/register-multipart");
    assertThat(get.text()).isEqualTo("hello");
    assertThat(get.header("Content-Type")).isEqualTo(type);
  }

  /** Regression: a form-typed body over 8 KiB failed with 500 (form attribute too long). */
  @Test
  void putKey_largeFormUrlencodedBody_storesRawBytes() {
    byte[] value = "a".repeat(20_000).getBytes(UTF_8);
    Reply put = node.put("/v1/keys/register-form", value, "application/x-www-form-urlencoded");
    assertThat(put.status()).as("%s", put).isEqualTo(200);
    assertThat(node.get("/v1/keys/register-form").body()).isEqualTo(value);
  }

  @Test
  void getKey_neverWritten_is404() {
    Reply get = node.get("/v1/keys/register-never");
    assertProblem(get, 404, "not-found");
    assertThat(get.header(REPLICAS)).isEqualTo("1/1");
  }

  @Test
  void deleteKey_thenGet_is404() {
    long written =
        node.put("/v1/keys/register-deleted", bytes("x"), "text/plain").json().getLong("version");
    Reply delete = node.delete("/v1/keys/register-deleted");
    assertThat(delete.status()).isEqualTo(200);
    assertCrdtReply(delete);
    JsonObject tombstone = delete.json();
    assertThat(tombstone.getString("key")).isEqualTo("register-deleted");
    assertThat(tombstone.getLong("version")).isGreaterThan(written);
    assertThat(delete.header("ETag")).isEqualTo("\"" + tombstone.getLong("version") + "\"");

    assertProblem(node.get("/v1/keys/register-deleted"), 404, "not-found");
  }

  @Test
  void putKey_afterDelete_isReadableAgain() {
    node.put("/v1/keys/register-revived", bytes("old"), "text/plain");
    node.delete("/v1/keys/register-revived");
    node.put("/v1/keys/register-revived", bytes("new"), "text/plain");
    assertThat(node.get("/v1/keys/register-revived").text()).isEqualTo("new");
  }

  // --- Counters ------------------------------------------------------------------------------

  @Test
  void getCounter_beforeFirstWrite_is404() {
    Reply get = node.get("/v1/counters/counter-never");
    assertProblem(get, 404, "not-found");
    assertThat(get.header(REPLICAS)).isEqualTo("1/1");
  }

  @Test
  void postCounter_addsPositiveAndNegativeDeltas() {
    Reply first = node.post("/v1/counters/counter-sum", "{\"delta\": 5}");
    assertThat(first.status()).isEqualTo(200);
    assertCrdtReply(first);
    assertThat(first.json()).isEqualTo(new JsonObject().put("key", "counter-sum").put("value", 5));

    Reply second = node.post("/v1/counters/counter-sum", "{\"delta\": -12}");
    assertThat(second.json().getLong("value")).isEqualTo(-7);

    Reply get = node.get("/v1/counters/counter-sum");
    assertThat(get.status()).isEqualTo(200);
    assertCrdtReply(get);
    assertThat(get.json()).isEqualTo(new JsonObject().put("key", "counter-sum").put("value", -7));
  }

  @Test
  void postCounter_zeroDelta_createsCounterAtZero() {
    assertThat(node.post("/v1/counters/counter-zero", "{\"delta\": 0}").json().getLong("value"))
        .isZero();
    assertThat(node.counter("counter-zero")).isZero();
  }

  /** Regression: a JSON body over 8 KiB sent as curl -d sends it (form type) failed with 500. */
  @Test
  void postCounter_largeJsonBodyWithFormContentType_isParsedAsJson() {
    String json = "{\"delta\": 3" + " ".repeat(20_000) + "}";
    Reply reply =
        node.send(
            node.request("/v1/counters/counter-form")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)));
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(node.counter("counter-form")).isEqualTo(3);
  }

  // --- Sets ----------------------------------------------------------------------------------

  @Test
  void getSet_beforeFirstWrite_is404() {
    Reply get = node.get("/v1/sets/set-never");
    assertProblem(get, 404, "not-found");
    assertThat(get.header(REPLICAS)).isEqualTo("1/1");
  }

  @Test
  void postSet_add_returnsSortedElementsAndContext() {
    Reply add =
        node.post("/v1/sets/set-add", "{\"add\": [\"pear\", \"apple\", \"fig\", \"apple\"]}");
    assertThat(add.status()).isEqualTo(200);
    assertCrdtReply(add);
    JsonObject body = add.json();
    assertThat(body.getString("key")).isEqualTo("set-add");
    assertThat(elements(body)).containsExactly("apple", "fig", "pear");
    assertThat(body.getString("context")).isNotBlank();

    Reply get = node.get("/v1/sets/set-add");
    assertThat(get.status()).isEqualTo(200);
    assertCrdtReply(get);
    assertThat(elements(get.json())).containsExactly("apple", "fig", "pear");
    assertThat(get.json().getString("context")).isEqualTo(body.getString("context"));
  }

  @Test
  void setElements_areSortedByCodePoint_asUtf8BytesAre() {
    // U+1F600 is two UTF-16 units from the surrogate range, which String.compareTo puts before
    // U+FF5A; by code point (and in UTF-8) it comes after.
    Reply post = node.post("/v1/sets/set-code-points", "{\"add\": [\"😀\", \"ｚ\", \"z\", \"é\"]}");
    List<String> expected = List.of("z", "é", "ｚ", "😀");
    assertThat(elements(post.json())).isEqualTo(expected);
    assertThat(elements(node.get("/v1/sets/set-code-points").json())).isEqualTo(expected);
  }

  @Test
  void postSet_removeWithoutContext_removesWhatTheNodeObserved() {
    node.post("/v1/sets/set-remove", "{\"add\": [\"a\", \"b\", \"c\"]}");
    Reply remove = node.post("/v1/sets/set-remove", "{\"remove\": [\"a\", \"c\", \"absent\"]}");
    assertThat(remove.status()).isEqualTo(200);
    assertCrdtReply(remove);
    assertThat(elements(remove.json())).containsExactly("b");
    assertThat(elements(node.get("/v1/sets/set-remove").json())).containsExactly("b");
  }

  @Test
  void postSet_addAndRemoveTogether_appliesBoth() {
    node.post("/v1/sets/set-both", "{\"add\": [\"a\", \"b\"]}");
    Reply both = node.post("/v1/sets/set-both", "{\"add\": [\"c\"], \"remove\": [\"a\"]}");
    assertThat(elements(both.json())).containsExactly("b", "c");
  }

  @Test
  void postSet_removeWithOldContext_keepsAddTheClientHadNotSeen() {
    String seen =
        node.post("/v1/sets/set-context", "{\"add\": [\"a\"]}").json().getString("context");
    node.post("/v1/sets/set-context", "{\"add\": [\"b\"]}"); // another client; unseen
    node.post("/v1/sets/set-context", "{\"add\": [\"a\"]}"); // a re-added after the token

    Reply remove =
        node.post(
            "/v1/sets/set-context",
            new JsonObject()
                .put("remove", new JsonArray().add("a").add("b"))
                .put("context", seen)
                .encode());
    assertThat(remove.status()).isEqualTo(200);
    assertCrdtReply(remove);
    assertThat(elements(remove.json())).containsExactly("a", "b");
  }

  @Test
  void postSet_removeWithCurrentContext_removesElement() {
    node.post("/v1/sets/set-current", "{\"add\": [\"a\", \"b\"]}");
    String current = node.get("/v1/sets/set-current").json().getString("context");
    Reply remove =
        node.post(
            "/v1/sets/set-current",
            new JsonObject()
                .put("remove", new JsonArray().add("a"))
                .put("context", current)
                .encode());
    assertThat(elements(remove.json())).containsExactly("b");
  }

  @Test
  void deleteSet_withoutContext_removesEveryElement() {
    node.post("/v1/sets/set-clear", "{\"add\": [\"a\", \"b\"]}");
    Reply delete = node.delete("/v1/sets/set-clear");
    assertThat(delete.status()).isEqualTo(200);
    assertCrdtReply(delete);
    assertThat(elements(delete.json())).isEmpty();
    assertThat(elements(node.get("/v1/sets/set-clear").json())).isEmpty();
  }

  @Test
  void deleteSet_withOldContext_keepsAddTheClientHadNotSeen() {
    String seen =
        node.post("/v1/sets/set-clear-context", "{\"add\": [\"a\", \"b\"]}")
            .json()
            .getString("context");
    node.post("/v1/sets/set-clear-context", "{\"add\": [\"c\"]}");

    Reply delete = node.delete("/v1/sets/set-clear-context?context=" + seen);
    assertThat(delete.status()).isEqualTo(200);
    assertCrdtReply(delete);
    assertThat(elements(delete.json())).containsExactly("c");
    assertThat(elements(node.get("/v1/sets/set-clear-context").json())).containsExactly("c");
  }

  @Test
  void explain_showsEveryReplicasCopy_andCountsThemAsARead() {
    node.post("/v1/counters/counter-explained", "{\"delta\": 3}");
    Reply explained = node.get("/v1/counters/counter-explained?explain=true");
    assertThat(explained.status()).isEqualTo(200);
    assertThat(explained.header(REPLICAS)).isEqualTo("1/1");
    JsonObject body = explained.json();
    assertThat(body.getBoolean("equal")).isTrue();
    JsonObject replica = body.getJsonArray("replicas").getJsonObject(0);
    assertThat(replica.getBoolean("present")).isTrue();
    assertThat(replica.getJsonObject("version").getLong("value")).isEqualTo(3);
  }

  // --- Consistency ---------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"one", "quorum", "all"})
  void everyCrdtRequest_anyConsistencyWithOneReplica_isServed(String level) {
    String q = "?consistency=" + level;
    String key = "consistency-" + level;
    List<Reply> replies =
        List.of(
            node.put("/v1/keys/" + key + q, bytes("v"), "text/plain"),
            node.get("/v1/keys/" + key + q),
            node.delete("/v1/keys/" + key + q),
            node.post("/v1/counters/" + key + q, "{\"delta\": 1}"),
            node.get("/v1/counters/" + key + q),
            node.post("/v1/sets/" + key + q, "{\"add\": [\"x\"]}"),
            node.get("/v1/sets/" + key + q),
            node.delete("/v1/sets/" + key + q));
    for (Reply reply : replies) {
      assertThat(reply.status()).as("%s", reply).isEqualTo(200);
      assertThat(reply.header(REPLICAS)).as("%s", reply).isEqualTo("1/1");
    }
  }

  @Test
  void quorumWrite_threeReplicasConfiguredButOneAlive_is503AndWritesNothing(
      @TempDir Path otherDir) {
    try (TestNode lonely =
        TestNode.start(otherDir, "replication.n=3", "replication.w=1", "replication.r=1")) {
      double before = lonely.storedMutations();
      List<Reply> refused =
          List.of(
              lonely.post("/v1/counters/q?consistency=quorum", "{\"delta\": 1}"),
              lonely.put("/v1/keys/q?consistency=quorum", bytes("v"), "text/plain"),
              lonely.delete("/v1/keys/q?consistency=all"),
              lonely.post("/v1/sets/q?consistency=quorum", "{\"add\": [\"x\"]}"),
              lonely.delete("/v1/sets/q?consistency=all"));
      for (Reply reply : refused) {
        assertProblem(reply, 503, "unavailable");
        assertThat(reply.header("Retry-After")).as("%s", reply).isNotBlank();
        assertThat(reply.header(REPLICAS)).as("%s", reply).matches("0/[23]");
      }
      assertThat(lonely.storedMutations()).isEqualTo(before);
      assertProblem(lonely.get("/v1/counters/q"), 404, "not-found");
      assertProblem(lonely.get("/v1/keys/q"), 404, "not-found");
      assertProblem(lonely.get("/v1/sets/q"), 404, "not-found");

      assertProblem(lonely.get("/v1/counters/q?consistency=quorum"), 503, "unavailable");
      Reply defaultLevel = lonely.post("/v1/counters/q", "{\"delta\": 1}");
      assertThat(defaultLevel.status()).isEqualTo(200);
      assertThat(defaultLevel.header(REPLICAS)).isEqualTo("1/1");
    }
  }

  // --- Cluster and operations ----------------------------------------------------------------

  @Test
  void clusterStatus_describesTheNode() {
    Reply reply = node.get("/v1/cluster/status");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("Content-Type")).startsWith("application/json");
    JsonObject status = reply.json();
    assertThat(status.getString("node")).isEqualTo("n1");
    assertThat(status.getString("region")).isEqualTo("local");

    JsonArray members = status.getJsonArray("members");
    assertThat(members).hasSize(1);
    JsonObject self = members.getJsonObject(0);
    assertThat(self.getString("id")).isEqualTo("n1");
    assertThat(self.getString("region")).isEqualTo("local");
    assertThat(self.getString("status")).isEqualTo("up");
    assertThat(self.getValue("phi")).isInstanceOf(Number.class);
    assertThat(self.getString("http")).isEqualTo("127.0.0.1:" + node.port());

    assertThat(status.getJsonObject("replication"))
        .isEqualTo(new JsonObject().put("n", 1).put("w", 1).put("r", 1));
    assertThat(status.getJsonObject("hints").getValue("pending")).isEqualTo(0);
    assertThat(status.getJsonObject("raft").getJsonArray("groups")).isNotNull();
  }

  @Test
  void clusterRing_listsTheReplicasOfAKeyPerRegion() {
    Reply reply = node.get("/v1/cluster/ring?keyspace=counters&key=K");
    assertThat(reply.status()).isEqualTo(200);
    JsonObject ring = reply.json();
    assertThat(ring.getString("key")).isEqualTo("K");
    assertThat(ring.getJsonObject("replicas"))
        .isEqualTo(new JsonObject().put("local", new JsonArray().add("n1")));
  }

  @Test
  void health_whileServing_is200() {
    assertThat(node.get("/health").status()).isEqualTo(200);
  }

  @Test
  void metrics_exposeStorageBatchesAndRequestsPerRoute() {
    node.post("/v1/counters/metrics", "{\"delta\": 1}");
    node.get("/v1/counters/metrics");

    Reply reply = node.get("/metrics");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("Content-Type")).startsWith("text/plain");
    String text = reply.text();
    assertThat(text).contains("meridian_storage_batch_mutations");
    assertThat(text.lines())
        .anyMatch(
            line ->
                line.startsWith("meridian_http_server_requests_seconds_count{")
                    && line.contains("method=\"POST\"")
                    && line.contains("route=\"/v1/counters/{key}\""));
    assertThat(text.lines())
        .anyMatch(
            line ->
                line.startsWith("meridian_http_server_requests_seconds_count{")
                    && line.contains("method=\"GET\"")
                    && line.contains("route=\"/v1/counters/{key}\""));
  }

  private static void assertCrdtReply(Reply reply) {
    assertThat(reply.header(REPLICAS)).as("%s of %s", REPLICAS, reply).isEqualTo("1/1");
    assertThat(reply.header("Content-Type")).as("%s", reply).startsWith("application/json");
  }

  private static List<String> elements(JsonObject set) {
    return set.getJsonArray("elements").stream().map(String.class::cast).toList();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
