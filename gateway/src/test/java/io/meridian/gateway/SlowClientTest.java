package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A slow or abusive client never stalls other clients" (API.md, Bad input): connections that
 * trickle a request one byte every 500 ms are cut off by the request deadline, while a well-behaved
 * client on its own connection is served throughout.
 */
class SlowClientTest {
  private static final int HEAD_TRICKLERS = 50;
  private static final int BODY_TRICKLERS = 5;
  private static final Duration TRICKLE_PERIOD = Duration.ofMillis(500);
  private static final Duration CUT_OFF_WITHIN = Duration.ofSeconds(60);

  @TempDir Path dataDir;
  private TestNode node;
  private final ScheduledExecutorService trickler = Executors.newScheduledThreadPool(2);
  private final ExecutorService readers = Executors.newCachedThreadPool();
  private final List<SlowConnection> heads = new ArrayList<>();
  private final List<SlowConnection> bodies = new ArrayList<>();

  @BeforeEach
  void startNodeAndSlowClients() throws IOException {
    node = TestNode.start(dataDir, "http.requestTimeoutMs=2000", "http.idleTimeoutMs=5000");
    String head = RawHttp.head("GET", "/v1/counters/slow-head", "X-Slow: " + "s".repeat(200));
    for (int i = 0; i < HEAD_TRICKLERS; i++) {
      heads.add(new SlowConnection("", head));
    }
    String body = "{\"delta\": 1" + " ".repeat(200) + "}";
    String bodyHead =
        RawHttp.head(
            "POST",
            "/v1/counters/slow-body",
            "Content-Type: application/json",
            "Content-Length: " + body.length());
    for (int i = 0; i < BODY_TRICKLERS; i++) {
      bodies.add(new SlowConnection(bodyHead, body));
    }
  }

  @AfterEach
  void stopEverything() {
    trickler.shutdownNow();
    for (SlowConnection connection : all()) {
      connection.close();
    }
    readers.shutdownNow();
    if (node != null) {
      node.close();
    }
  }

  @Test
  void wellBehavedClient_whileOthersTrickle_isServed() {
    for (int i = 1; i <= 50; i++) {
      Reply reply = node.post("/v1/counters/steady", "{\"delta\": 1}");
      assertThat(reply.status()).as("%s", reply).isEqualTo(200);
      assertThat(reply.json().getLong("value")).isEqualTo(i);
    }
    assertThat(node.counter("steady")).isEqualTo(50);
  }

  @Test
  void headTricklers_areClosedByTheServer() {
    await()
        .atMost(CUT_OFF_WITHIN)
        .untilAsserted(() -> assertThat(heads).allMatch(c -> c.closed().isDone()));
    for (SlowConnection connection : heads) {
      assertThat(connection.closed().join()).as("bytes received").doesNotContain("HTTP/1.1 2");
    }
    assertProblem(node.get("/v1/counters/slow-head"), 404, "not-found");
  }

  @Test
  void bodyTricklers_get408AndAreClosed() throws IOException {
    await()
        .atMost(CUT_OFF_WITHIN)
        .untilAsserted(() -> assertThat(bodies).allMatch(c -> c.closed().isDone()));
    for (SlowConnection connection : bodies) {
      Reply reply = RawHttp.parse(connection.closed().join().getBytes(ISO_8859_1));
      assertProblem(reply, 408, "request-timeout");
    }
    assertProblem(node.get("/v1/counters/slow-body"), 404, "not-found");
  }

  @Test
  void silentConnection_isClosedByTheServer() throws IOException {
    try (Socket silent = RawHttp.connect(node.port())) {
      assertThat(RawHttp.isClosedByServer(silent)).isTrue();
    }
  }

  private List<SlowConnection> all() {
    List<SlowConnection> all = new ArrayList<>(heads);
    all.addAll(bodies);
    return all;
  }

  /**
   * A connection that sends {@code prefix} at once, then {@code trickled} one byte per period, and
   * records everything the server sends until it closes the connection.
   */
  private final class SlowConnection {
    private final Socket socket;
    private final OutputStream out;
    private final byte[] trickled;
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private int next;

    SlowConnection(String prefix, String trickled) throws IOException {
      this.socket = RawHttp.connect(node.port());
      this.socket.setSoTimeout(0); // the reader waits for the server; closing the socket ends it
      this.out = socket.getOutputStream();
      this.trickled = trickled.getBytes(ISO_8859_1);
      out.write(prefix.getBytes(ISO_8859_1));
      out.write(this.trickled[next++]);
      out.flush();
      readers.execute(this::readUntilClosed);
      trickler.scheduleAtFixedRate(
          this::sendNextByte,
          TRICKLE_PERIOD.toMillis(),
          TRICKLE_PERIOD.toMillis(),
          TimeUnit.MILLISECONDS);
    }

    /** Completes with what the server sent once it has closed the connection. */
    CompletableFuture<String> closed() {
      return closed;
    }

    private void sendNextByte() {
      if (closed.isDone() || next >= trickled.length) {
        return;
      }
      try {
        out.write(trickled[next++]);
        out.flush();
      } catch (IOException e) {
        // The server has closed the connection; the reader records it.
      }
    }

    private void readUntilClosed() {
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      try {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          received.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // Reset by the server, or closed by the test: either way the connection is over.
      }
      closed.complete(received.toString(ISO_8859_1));
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
