package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A stopping node's notice: it serves on, says it drains, and sends clients elsewhere. */
class DrainingTest {
  @TempDir Path dataDir;

  @Test
  void duringTheNotice_healthIs503Draining_writesAreServed_andEachConnectionCloses()
      throws Exception {
    TestNode node = TestNode.start(dataDir);
    Thread stopping = new Thread(() -> node.stop(Duration.ofSeconds(20)), "stopping");
    try (Socket keptAlive = RawHttp.connect(node.port())) {
      RawHttp.send(keptAlive, RawHttp.head("GET", "/health"));
      assertThat(RawHttp.read(keptAlive.getInputStream()).status()).isEqualTo(200);

      stopping.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> node.get("/health").status() == 503);

      Reply health = node.get("/health");
      assertThat(health.json().getString("status")).isEqualTo("draining");
      RawHttp.send(
          keptAlive,
          RawHttp.head(
                  "POST",
                  "/v1/counters/drained",
                  "Content-Type: application/json",
                  "Content-Length: 12")
              + "{\"delta\":1}\n");
      Reply write = RawHttp.read(keptAlive.getInputStream());
      assertThat(write.status()).as("a write during the notice").isEqualTo(200);
      assertThat(write.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(RawHttp.isClosedByServer(keptAlive)).as("the kept-alive connection").isTrue();
      assertThat(node.counter("drained")).isEqualTo(1);

      // Ending the notice early must not cut the stop's own waits short (the HTTP servers' drain,
      // Vert.x closing before the Raft server and the store close).
      ListAppender<ILoggingEvent> stopLog = new ListAppender<>();
      Logger nodeLog = (Logger) LoggerFactory.getLogger(MeridianNode.class);
      stopLog.start();
      nodeLog.addAppender(stopLog);
      try {
        stopping.interrupt();
        stopping.join();
      } finally {
        nodeLog.detachAppender(stopLog);
      }
      assertThat(stopLog.list)
          .as("what the stop logged")
          .extracting(ILoggingEvent::getFormattedMessage)
          .contains("stopped")
          .noneMatch(line -> line.contains("did not"));
      assertThatThrownBy(() -> RawHttp.connect(node.port()).close())
          .as("a connection once stopped")
          .isInstanceOf(ConnectException.class);
    } finally {
      stopping.interrupt(); // ends the notice
      stopping.join();
      node.close();
    }
  }
}
