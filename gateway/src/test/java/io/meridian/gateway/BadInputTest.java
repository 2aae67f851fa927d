package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API.md "Bad input": every malformed request gets a 4xx problem and changes nothing. Each test
 * also checks that the store committed no mutation while it ran and reads the key it aimed at.
 */
class BadInputTest {
  private static final int MAX_VALUE_BYTES = 1 << 20;

  @TempDir static Path dataDir;
  private static TestNode node;
  private double mutationsBefore;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(dataDir);
    node.post("/v1/counters/fixed", "{\"delta\": 5}");
    node.post("/v1/sets/fixed", "{\"add\": [\"a\", \"b\"]}");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void countMutations() {
    mutationsBefore = node.storedMutations();
  }

  /** Tests that write on purpose reset the baseline; everything else must leave it alone. */
  @AfterEach
  void nothingWasWritten() {
    assertThat(node.storedMutations()).as("mutations committed").isEqualTo(mutationsBefore);
  }

  // --- JSON bodies ---------------------------------------------------------------------------

  @Test
  void postCounter_invalidJson_is400() {
    Reply reply = node.post("/v1/counters/fixed", "delta: 1");
    assertProblem(reply, 400, "invalid-json");
    // Every CRDT response counts replicas (API.md): none was asked, of the default w.
    assertThat(reply.header("X-Meridian-Replicas")).isEqualTo("0/1");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_truncatedJson_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"delta\": 1"), 400, "invalid-json");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_trailingContent_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"delta\": 1} {}"), 400, "invalid-json");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_invalidJson_detailSaysWhereInPlainWords() {
    assertThat(invalidJsonDetail("{\"delta\": 1"))
        .isEqualTo("the body is not valid JSON: unexpected end of input at line 1, column 12");
    assertThat(invalidJsonDetail("{\"delta\": 1} {}"))
        .startsWith("the body has content after the JSON value");
    String[] bodies = {
      "delta: 1",
      "{\"delta\": 1,}",
      "{\"delta\": 1, \"delta\": 2}",
      "{\"delta\": 1]",
      "{\"delta\": \"a\nb\"}",
      "{\"delta\": 01}",
      "{\"delta\": " + "[".repeat(100),
      "{\"delta\": " + "1".repeat(100) + "}",
      "{\"delta\": tru}",
    };
    for (String body : bodies) {
      assertThat(invalidJsonDetail(body))
          .as(body)
          .startsWith("the ")
          .doesNotContain("Source", "REDACTED", "`", "Feature", "start marker", "\n")
          .hasSizeLessThan(300);
    }
  }

  @Test
  void postCounter_emptyBody_is400() {
    assertProblem(node.post("/v1/counters/fixed", ""), 400, "invalid-json");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_bodyIsArray_is400() {
    assertProblem(node.post("/v1/counters/fixed", "[]"), 400, "invalid-request");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_setBody_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"add\": \"a\"}"), 400, "invalid-request");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_unknownField_is400() {
    assertProblem(
        node.post("/v1/counters/fixed", "{\"delta\": 1, \"unit\": \"ms\"}"),
        400,
        "invalid-request");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_missingDelta_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{}"), 400, "invalid-request");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_duplicateKeys_is400() {
    assertProblem(
        node.post("/v1/counters/fixed", "{\"delta\": 1, \"delta\": 2}"), 400, "invalid-json");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_deltaAsString_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"delta\": \"5\"}"), 400, "invalid-delta");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_deltaAsFloat_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"delta\": 5.0}"), 400, "invalid-delta");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_deltaOver64Bits_is400() {
    assertProblem(
        node.post("/v1/counters/fixed", "{\"delta\": 9223372036854775808}"), 400, "invalid-delta");
    assertProblem(
        node.post("/v1/counters/fixed", "{\"delta\": -9223372036854775809}"), 400, "invalid-delta");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_deltaHugeExponent_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"delta\": 1e400}"), 400, "invalid-delta");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_deltaNull_is400() {
    assertProblem(node.post("/v1/counters/fixed", "{\"delta\": null}"), 400, "invalid-delta");
    assertCounterUnchanged();
  }

  @Test
  void postCounter_deeplyNestedArrays_is400() {
    String nested = "{\"delta\": " + "[".repeat(100_000);
    assertProblem(node.post("/v1/counters/fixed", nested), 400, "invalid-json");
    assertCounterUnchanged();
  }

  @Test
  void postSet_addNotAnArray_is400() {
    assertProblem(node.post("/v1/sets/fixed", "{\"add\": \"c\"}"), 400, "invalid-request");
    assertSetUnchanged();
  }

  @Test
  void postSet_nonStringElement_is400() {
    assertProblem(node.post("/v1/sets/fixed", "{\"add\": [\"c\", 1]}"), 400, "invalid-request");
    assertProblem(node.post("/v1/sets/fixed", "{\"add\": [null]}"), 400, "invalid-request");
    assertProblem(node.post("/v1/sets/fixed", "{\"remove\": [{}]}"), 400, "invalid-request");
    assertSetUnchanged();
  }

  @Test
  void postSet_elementWithUnpairedSurrogate_is400() {
    assertProblem(node.post("/v1/sets/fixed", "{\"add\": [\"\\ud800\"]}"), 400, "invalid-json");
    assertProblem(
        node.post("/v1/sets/fixed", "{\"add\": [\"c\"], \"remove\": [\"\\udc00x\"]}"),
        400,
        "invalid-json");
    assertProblem(
        node.post("/v1/sets/fixed", "{\"remove\": [\"x\\ude00\\ud83d\"]}"), 400, "invalid-json");
    assertSetUnchanged();
  }

  @Test
  void postSet_bodyNotUtf8_is400() {
    byte[][] elements = {
      {(byte) 0xC0, (byte) 0xAF}, // an overlong "/"
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a surrogate encoded on its own
      {(byte) 0xFF},
      {'a', (byte) 0xE2, (byte) 0x82}, // a sequence cut short
    };
    for (byte[] element : elements) {
      JsonObject problem =
          assertProblem(
              postBytes("/v1/sets/fixed", concat("{\"add\": [\"", element, "\"]}")),
              400,
              "invalid-json");
      assertThat(problem.getString("detail")).contains("not valid UTF-8");
    }
    assertProblem(
        postBytes(
            "/v1/sets/fixed",
            concat("{\"remove\": [\"", new byte[] {(byte) 0xC1, (byte) 0x81}, "\"]}")),
        400,
        "invalid-json");
    assertSetUnchanged();
  }

  @Test
  void postCounter_bodyNotUtf8_is400() {
    // "delta" with its "e" encoded overlong, which a lenient decoder reads as "delta".
    byte[] name = {'d', (byte) 0xC1, (byte) 0xA5, 'l', 't', 'a'};
    assertProblem(
        postBytes("/v1/counters/fixed", concat("{\"", name, "\": 1}")), 400, "invalid-json");
    assertProblem(
        postBytes(
            "/v1/counters/fixed", concat("{\"delta\": 1, \"", new byte[] {(byte) 0xFF}, "\": 2}")),
        400,
        "invalid-json");
    assertCounterUnchanged();
  }

  @Test
  void postSet_neitherAddNorRemove_is400() {
    assertProblem(node.post("/v1/sets/fixed", "{}"), 400, "invalid-request");
    assertSetUnchanged();
  }

  @Test
  void postSet_invalidContext_is400() {
    assertProblem(
        node.post("/v1/sets/fixed", "{\"remove\": [\"a\"], \"context\": \"not-a-token\"}"),
        400,
        "invalid-context");
    assertProblem(
        node.post("/v1/sets/fixed", "{\"remove\": [\"a\"], \"context\": 7}"),
        400,
        "invalid-context");
    assertSetUnchanged();
  }

  @Test
  void deleteSet_invalidContext_is400() {
    assertProblem(node.delete("/v1/sets/fixed?context=%21%21%21"), 400, "invalid-context");
    assertProblem(node.delete("/v1/sets/fixed?context=AAAA"), 400, "invalid-context");
    assertSetUnchanged();
  }

  // --- Counter range -------------------------------------------------------------------------

  @Test
  void postCounter_pastLongMaxValue_is400AndKeepsMaxValue() {
    node.post("/v1/counters/at-max", "{\"delta\": " + Long.MAX_VALUE + "}");
    assertProblem(node.post("/v1/counters/at-max", "{\"delta\": 1}"), 400, "counter-overflow");
    assertThat(node.counter("at-max")).isEqualTo(Long.MAX_VALUE);
    mutationsBefore = node.storedMutations();
  }

  @Test
  void postCounter_pastLongMinValue_is400AndKeepsMinValue() {
    Reply min = node.post("/v1/counters/at-min", "{\"delta\": " + Long.MIN_VALUE + "}");
    assertThat(min.status()).isEqualTo(200);
    assertThat(min.json().getLong("value")).isEqualTo(Long.MIN_VALUE);
    assertProblem(node.post("/v1/counters/at-min", "{\"delta\": -1}"), 400, "counter-overflow");
    assertThat(node.counter("at-min")).isEqualTo(Long.MIN_VALUE);
    mutationsBefore = node.storedMutations();
  }

  /**
   * The value is in range, but this replica's total of increments (kept apart from its decrements,
   * unsigned 64-bit) would pass 2^64 - 1: refused, and the problem says which limit it is.
   */
  @Test
  void postCounter_pastTheReplicasTotalOfIncrements_is400NamingTheTotal() {
    long max = Long.MAX_VALUE;
    for (long delta : new long[] {max, -max, -max, max}) {
      assertThat(node.post("/v1/counters/totals", "{\"delta\": " + delta + "}").status())
          .isEqualTo(200);
    }
    assertThat(node.counter("totals")).isZero();
    Reply refused = node.post("/v1/counters/totals", "{\"delta\": " + max + "}");
    assertProblem(refused, 400, "counter-overflow");
    assertThat(refused.json().getString("detail")).contains("total of increments");
    assertThat(node.counter("totals")).isZero();
    // The store counts the refused update among those it took (the range is checked in it).
    mutationsBefore = node.storedMutations();
  }

  // --- Keys ----------------------------------------------------------------------------------

  @Test
  void counter_emptyKey_is400() {
    assertProblem(node.post("/v1/counters/", "{\"delta\": 1}"), 400, "invalid-key");
    assertProblem(node.get("/v1/counters/"), 400, "invalid-key");
    assertProblem(node.put("/v1/keys/", new byte[] {1}, "text/plain"), 400, "invalid-key");
  }

  @Test
  void counter_keyOver512Bytes_is400() {
    assertProblem(
        node.post("/v1/counters/" + "k".repeat(513), "{\"delta\": 1}"), 400, "invalid-key");
    String euros = "%E2%82%AC".repeat(171); // 171 characters, 513 UTF-8 bytes
    assertProblem(node.post("/v1/counters/" + euros, "{\"delta\": 1}"), 400, "invalid-key");
    assertProblem(node.get("/v1/counters/" + "k".repeat(513)), 400, "invalid-key");
  }

  @Test
  void counter_keyOf512Bytes_isStored() {
    String key = "k".repeat(512);
    assertThat(node.post("/v1/counters/" + key, "{\"delta\": 2}").status()).isEqualTo(200);
    assertThat(node.counter(key)).isEqualTo(2);
    String euros = "%E2%82%AC".repeat(170) + "kk"; // 512 UTF-8 bytes
    assertThat(node.post("/v1/counters/" + euros, "{\"delta\": 3}").status()).isEqualTo(200);
    assertThat(node.get("/v1/counters/" + euros).json().getString("key"))
        .isEqualTo("€".repeat(170) + "kk");
    mutationsBefore = node.storedMutations();
  }

  @Test
  void counter_keyWithNul_is400() {
    assertProblem(node.post("/v1/counters/fixed%00", "{\"delta\": 1}"), 400, "invalid-key");
    assertCounterUnchanged();
  }

  @Test
  void counter_keyNotUtf8_is400() {
    assertProblem(node.post("/v1/counters/fixed%FF", "{\"delta\": 1}"), 400, "invalid-key");
    assertCounterUnchanged();
  }

  @Test
  void counter_invalidPercentEncoding_is400() throws IOException {
    String body = "{\"delta\": 1}";
    for (String target : new String[] {"/v1/counters/fixed%zz", "/v1/counters/fixed%4"}) {
      Reply reply =
          RawHttp.exchange(
              node.port(),
              RawHttp.head(
                      "POST",
                      target,
                      "Content-Type: application/json",
                      "Content-Length: " + body.length())
                  + body);
      assertProblem(reply, 400, "bad-request");
    }
    assertProblem(
        RawHttp.exchange(node.port(), RawHttp.head("GET", "/v1/counters/fixed?consistency=%zz")),
        400,
        "bad-request");
    assertCounterUnchanged();
  }

  /**
   * Request smuggling: framed by Transfer-Encoding, the first request's body ends early and the
   * rest reads as a second request, which a proxy framing by Content-Length took for body.
   */
  @Test
  void bothTransferEncodingAndContentLength_is400_andNothingAfterItOnTheConnectionRuns()
      throws IOException {
    String hidden =
        RawHttp.head(
                "POST",
                "/v1/counters/smuggled",
                "Content-Type: application/json",
                "Content-Length: 12")
            + "{\"delta\":42}";
    String body = "0\r\n\r\n" + hidden;
    try (java.net.Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(
          socket,
          RawHttp.head(
                  "POST",
                  "/v1/counters/fixed",
                  "Content-Type: application/json",
                  "Content-Length: " + body.length(),
                  "Transfer-Encoding: chunked")
              + body);
      JsonObject problem = assertProblem(RawHttp.read(socket.getInputStream()), 400, "bad-request");
      assertThat(problem.getString("detail")).contains("Transfer-Encoding", "Content-Length");
      assertThat(RawHttp.isClosedByServer(socket)).as("the connection after the refusal").isTrue();
    }
    assertThat(node.get("/v1/counters/smuggled").status()).as("the hidden request").isEqualTo(404);
    assertCounterUnchanged();
  }

  @Test
  void key_dotDotSegment_is400InvalidKey() throws IOException {
    String[] paths = {
      "/v1/counters/%2E%2E", "/v1/keys/%2e%2E", "/v1/sets/%2E%2E", "/v1/strong/%2E%2E"
    };
    for (String path : paths) {
      JsonObject problem = assertProblem(node.get(path), 400, "invalid-key");
      assertThat(problem.getString("detail")).contains("'..'", "RFC 3986");
    }
    assertProblem(node.post("/v1/counters/%2E%2E", "{\"delta\": 1}"), 400, "invalid-key");
    assertProblem(node.put("/v1/keys/%2E%2E", new byte[] {1}, "text/plain"), 400, "invalid-key");
    assertProblem(
        RawHttp.exchange(node.port(), RawHttp.head("GET", "/v1/counters/..")), 400, "invalid-key");
    assertProblem(node.get("/v1/counters/.%2E"), 400, "invalid-key");
    assertProblem(node.get("/v1/elsewhere/%2E%2E"), 404, "not-found");
  }

  @Test
  void key_withADotSegmentThatStillRoutesUnderItsKeyspace_is400InvalidKey() throws IOException {
    // Routed (the dots do not climb above the prefix), but a proxy would send another key.
    String[] paths = {
      "/v1/counters/x/..", "/v1/counters/a/./b", "/v1/counters/%2E", "/v1/sets/x/.%2e"
    };
    for (String path : paths) {
      JsonObject problem =
          assertProblem(
              RawHttp.exchange(node.port(), RawHttp.head("GET", path)), 400, "invalid-key");
      assertThat(problem.getString("detail")).as(path).contains("'..'", "RFC 3986");
    }
    assertProblem(
        RawHttp.exchange(
            node.port(),
            RawHttp.head("POST", "/v1/counters/x/..", "Content-Length: 12") + "{\"delta\": 1}"),
        400,
        "invalid-key");
    assertCounterUnchanged();
  }

  @Test
  void key_withDotsThatAreNotADotSegment_isStored() {
    String[][] keys = {
      {"a..b", "a..b"}, {"...", "..."}, {"%2E%2E%2Fx", "../x"}, {"x%2F..", "x/.."}, {"a/.b", "a/.b"}
    };
    for (String[] key : keys) {
      Reply post = node.post("/v1/counters/" + key[0], "{\"delta\": 1}");
      assertThat(post.status()).as("%s: %s", key[1], post).isEqualTo(200);
      assertThat(post.json().getString("key")).isEqualTo(key[1]);
      assertThat(node.get("/v1/counters/" + key[0]).json().getString("key")).isEqualTo(key[1]);
    }
    mutationsBefore = node.storedMutations();
  }

  @Test
  void counter_encodedSlash_isOneKey() {
    Reply post = node.post("/v1/counters/slash-a%2Fb", "{\"delta\": 4}");
    assertThat(post.json().getString("key")).isEqualTo("slash-a/b");
    Reply get = node.get("/v1/counters/slash-a%2Fb");
    assertThat(get.json()).isEqualTo(new JsonObject().put("key", "slash-a/b").put("value", 4));
    assertProblem(node.get("/v1/counters/slash-a"), 404, "not-found");
    assertProblem(node.get("/v1/counters/b"), 404, "not-found");
    mutationsBefore = node.storedMutations();
  }

  @Test
  void ring_keyRefusedLikeAKeyPath_is400() {
    String ring = "/v1/cluster/ring?keyspace=counters&key=";
    JsonObject notUtf8 = assertProblem(node.get(ring + "%FF"), 400, "invalid-key");
    assertThat(notUtf8.getString("detail")).contains("UTF-8");
    assertProblem(node.get(ring + "%C0%AF"), 400, "invalid-key");
    assertProblem(node.get(ring), 400, "invalid-key");
    assertProblem(node.get(ring + "k".repeat(513)), 400, "invalid-key");
    assertProblem(node.get(ring + "a%00"), 400, "invalid-key");
    assertThat(node.get(ring + "k".repeat(512)).status()).isEqualTo(200);
    assertThat(node.get(ring + "a%2Fb%E2%82%AC").json().getString("key")).isEqualTo("a/b€");
    assertThat(node.get(ring + "a+b").json().getString("key")).isEqualTo("a b");
    assertThat(node.get(ring + "a%2Bb").json().getString("key")).isEqualTo("a+b");
  }

  // --- Sizes ---------------------------------------------------------------------------------

  @Test
  void putKey_oneByteOverMaxValue_is413BeforeTheBodyIsSent() throws IOException {
    try (Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(
          socket,
          RawHttp.head("PUT", "/v1/keys/too-big", "Content-Length: " + (MAX_VALUE_BYTES + 1)));
      Reply reply = RawHttp.read(socket.getInputStream());
      assertProblem(reply, 413, "payload-too-large");
      assertThat(reply.header("X-Meridian-Replicas")).isEqualTo("0/1");
      assertThat(RawHttp.isClosedByServer(socket)).isTrue();
    }
    assertProblem(node.get("/v1/keys/too-big"), 404, "not-found");
  }

  @Test
  void putKey_expectingContinue_getsTheGoAheadBeforeTheBody() throws IOException {
    try (Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(
          socket,
          RawHttp.head("PUT", "/v1/keys/continued", "Content-Length: 5", "Expect: 100-continue"));
      assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(100);
      RawHttp.send(socket, "hello");
      assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
    }
    assertThat(node.get("/v1/keys/continued").body()).isEqualTo("hello".getBytes(UTF_8));
    mutationsBefore = node.storedMutations();
  }

  @Test
  void putKey_expectingContinue_overMaxValue_is413WithoutTheGoAhead() throws IOException {
    try (Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(
          socket,
          RawHttp.head(
              "PUT",
              "/v1/keys/not-continued",
              "Content-Length: " + (MAX_VALUE_BYTES + 1),
              "Expect: 100-continue"));
      assertProblem(RawHttp.read(socket.getInputStream()), 413, "payload-too-large");
    }
    assertProblem(node.get("/v1/keys/not-continued"), 404, "not-found");
  }

  @Test
  void putKey_exactlyMaxValue_isStored() {
    byte[] value = new byte[MAX_VALUE_BYTES];
    Arrays.fill(value, (byte) 'v');
    value[0] = 'A';
    value[MAX_VALUE_BYTES - 1] = 'Z';
    assertThat(node.put("/v1/keys/max-value", value, "application/octet-stream").status())
        .isEqualTo(200);
    assertThat(node.get("/v1/keys/max-value").body()).isEqualTo(value);
    mutationsBefore = node.storedMutations();
  }

  @Test
  void putKey_hugeContentLength_is413AndConnectionClosed() throws IOException {
    try (Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(socket, RawHttp.head("PUT", "/v1/keys/huge", "Content-Length: 10000000000"));
      Reply reply = RawHttp.read(socket.getInputStream());
      assertProblem(reply, 413, "payload-too-large");
      assertThat(reply.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(RawHttp.isClosedByServer(socket)).isTrue();
    }
    assertProblem(node.get("/v1/keys/huge"), 404, "not-found");
  }

  @Test
  void putKey_chunkedBodyOverMaxValue_is413() throws IOException {
    Reply reply;
    try (Socket socket = RawHttp.connect(node.port())) {
      RawHttp.send(socket, RawHttp.head("PUT", "/v1/keys/chunked", "Transfer-Encoding: chunked"));
      OutputStream out = socket.getOutputStream();
      byte[] chunk = new byte[64 * 1024];
      try {
        for (int sent = 0; sent <= MAX_VALUE_BYTES; sent += chunk.length) {
          out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(UTF_8));
          out.write(chunk);
          out.write("\r\n".getBytes(UTF_8));
        }
        out.write("0\r\n\r\n".getBytes(UTF_8));
        out.flush();
      } catch (IOException closedWhileSending) {
        // The server may answer and close before the client is done sending.
      }
      reply = RawHttp.read(socket.getInputStream());
    }
    assertProblem(reply, 413, "payload-too-large");
    assertProblem(node.get("/v1/keys/chunked"), 404, "not-found");
  }

  @Test
  void postSet_elementOver1024Bytes_is413() {
    String element = "e".repeat(1025);
    assertProblem(
        node.post("/v1/sets/fixed", "{\"add\": [\"" + element + "\"]}"), 413, "payload-too-large");
    assertProblem(
        node.post("/v1/sets/fixed", "{\"add\": [\"" + "é".repeat(513) + "\"]}"),
        413,
        "payload-too-large");
    assertSetUnchanged();
  }

  @Test
  void postSet_elementOf1024Bytes_isStored() {
    String element = "é".repeat(512);
    Reply reply = node.post("/v1/sets/big-element", "{\"add\": [\"" + element + "\"]}");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(node.get("/v1/sets/big-element").json().getJsonArray("elements").getString(0))
        .isEqualTo(element);
    mutationsBefore = node.storedMutations();
  }

  @Test
  void headerBlockOver8KiB_is431Problem() throws IOException {
    Reply reply =
        RawHttp.exchange(
            node.port(),
            RawHttp.head("GET", "/v1/counters/fixed", "X-Padding: " + "p".repeat(9000)));
    assertProblem(reply, 431, "headers-too-large");
    assertThat(reply.header("X-Meridian-Replicas")).isEqualTo("0/1");
  }

  // --- Methods and parameters ----------------------------------------------------------------

  @Test
  void patch_is405WithAllow() {
    Reply keys = node.method("PATCH", "/v1/keys/fixed");
    assertProblem(keys, 405, "method-not-allowed");
    assertThat(keys.header("Allow")).contains("GET", "PUT", "DELETE");
    Reply counters = node.method("PATCH", "/v1/counters/fixed");
    assertProblem(counters, 405, "method-not-allowed");
    assertThat(counters.header("Allow")).contains("GET", "POST").doesNotContain("PUT");
    Reply sets = node.method("PATCH", "/v1/sets/fixed");
    assertProblem(sets, 405, "method-not-allowed");
    assertThat(sets.header("Allow")).contains("GET", "POST", "DELETE");
    Reply repair = node.method("GET", "/v1/admin/repair");
    assertProblem(repair, 405, "method-not-allowed");
    assertThat(repair.header("Allow")).isEqualTo("POST");
    Reply slashed = node.method("GET", "/v1/admin/repair/"); // routed as /v1/admin/repair
    assertProblem(slashed, 405, "method-not-allowed");
    assertThat(slashed.header("Allow")).isEqualTo("POST");
    assertCounterUnchanged();
    assertSetUnchanged();
  }

  @Test
  void metrics_madeUpMethods_shareOneOtherTag() throws IOException {
    for (String method : new String[] {"M123", "BREW", "get"}) {
      RawHttp.exchange(node.port(), RawHttp.head(method, "/v1/counters/fixed"));
      RawHttp.exchange(node.port(), RawHttp.head(method, "/health"));
    }
    List<String> requests =
        node.get("/metrics")
            .text()
            .lines()
            .filter(line -> line.startsWith("meridian_http_server_requests_seconds_count{"))
            .toList();
    assertThat(requests)
        .noneMatch(line -> line.contains("M123") || line.contains("BREW"))
        .noneMatch(line -> line.contains("method=\"get\""))
        .anyMatch(
            line ->
                line.contains("method=\"OTHER\"") && line.contains("route=\"/v1/counters/{key}\""))
        .anyMatch(line -> line.contains("method=\"OTHER\"") && line.contains("route=\"/health\""));
    assertCounterUnchanged();
  }

  @Test
  void repair_peerNotAMember_is400() {
    JsonObject problem =
        assertProblem(
            node.post("/v1/admin/repair?peer=no-such-node", ""), 400, "invalid-parameter");
    assertThat(problem.getString("detail")).contains("peer", "no-such-node");
  }

  @Test
  void consistency_unknownValue_is400() {
    assertProblem(
        node.post("/v1/counters/fixed?consistency=foo", "{\"delta\": 1}"),
        400,
        "invalid-parameter");
    assertProblem(node.get("/v1/counters/fixed?consistency=ALL"), 400, "invalid-parameter");
    assertProblem(
        node.put("/v1/keys/fixed?consistency=", new byte[] {1}, "text/plain"),
        400,
        "invalid-parameter");
    assertCounterUnchanged();
    assertProblem(node.get("/v1/keys/fixed"), 404, "not-found");
  }

  @Test
  void query_unknownParameter_is400() {
    assertProblem(
        node.post("/v1/counters/fixed?consistancy=all", "{\"delta\": 1}"),
        400,
        "invalid-parameter");
    assertProblem(
        node.post("/v1/sets/fixed?context=x", "{\"add\": [\"c\"]}"), 400, "invalid-parameter");
    assertCounterUnchanged();
    assertSetUnchanged();
  }

  @Test
  void query_repeatedParameter_is400() {
    assertProblem(
        node.post("/v1/counters/fixed?consistency=one&consistency=all", "{\"delta\": 1}"),
        400,
        "invalid-parameter");
    assertCounterUnchanged();
  }

  private static String invalidJsonDetail(String body) {
    return assertProblem(node.post("/v1/counters/fixed", body), 400, "invalid-json")
        .getString("detail");
  }

  /** A POST of a JSON body given as bytes, which need not be UTF-8. */
  private static Reply postBytes(String path, byte[] body) {
    return node.send(
        node.request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(before.getBytes(UTF_8));
    out.writeBytes(middle);
    out.writeBytes(after.getBytes(UTF_8));
    return out.toByteArray();
  }

  private static void assertCounterUnchanged() {
    assertThat(node.counter("fixed")).isEqualTo(5);
  }

  private static void assertSetUnchanged() {
    Reply set = node.get("/v1/sets/fixed");
    assertThat(set.status()).isEqualTo(200);
    assertThat(set.json().getJsonArray("elements").getList()).containsExactly("a", "b");
  }
}
