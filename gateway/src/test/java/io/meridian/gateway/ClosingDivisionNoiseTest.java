package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.junit.jupiter.api.Test;

class ClosingDivisionNoiseTest {
  private final LoggerContext context = new LoggerContext();
  private final ClosingDivisionNoise filter = new ClosingDivisionNoise();

  private static final String DIVISION = "org.apache.ratis.server.RaftServer$Division";

  @Test
  void aCallToAClosingReplica_isLeftOut() {
    ServerNotReadyException closing =
        new ServerNotReadyException(
            "n3@group-4B5: is not in [STARTING, RUNNING]: current state is CLOSING");
    assertThat(decide(DIVISION, closing)).isEqualTo(FilterReply.DENY);
  }

  @Test
  void otherRatisErrors_andOtherLoggers_areKept() {
    ServerNotReadyException starting =
        new ServerNotReadyException("n3@group-4B5: is not in [RUNNING]: current state is STARTING");
    assertThat(decide(DIVISION, starting)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "io.meridian.replication.strong.RatisStrongKeys",
                new ServerNotReadyException("current state is CLOSING")))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide(DIVISION, new IllegalStateException("current state is CLOSING")))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide(DIVISION, null)).isEqualTo(FilterReply.NEUTRAL);
  }

  /** What the filter makes of an error logged by {@code loggerName} with {@code thrown}. */
  private FilterReply decide(String loggerName, Throwable thrown) {
    Logger logger = context.getLogger(loggerName);
    return filter.decide(
        new LoggingEvent(
            Logger.class.getName(), logger, Level.ERROR, "Failed appendEntries", thrown, null));
  }
}
