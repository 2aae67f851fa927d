package io.meridian.gateway;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Leaves out of the node's log Ratis' error, with a stack trace of some forty lines, for a Raft
 * call that reached one of this node's group replicas while it was closing ("is not in [STARTING,
 * RUNNING]: current state is CLOSING"). Every graceful stop logged one for each group whose leader
 * sent a heartbeat in its last moments: alarming in a log, and nothing to act on — the sender tries
 * again, or its group goes on without this node. Any other Ratis error is kept.
 */
public final class ClosingDivisionNoise extends Filter<ILoggingEvent> {
  private static final String NOT_READY =
      "org.apache.ratis.protocol.exceptions.ServerNotReadyException";

  @Override
  public FilterReply decide(ILoggingEvent event) {
    IThrowableProxy thrown = event.getThrowableProxy();
    boolean closing =
        thrown != null
            && event.getLoggerName().startsWith("org.apache.ratis.")
            && NOT_READY.equals(thrown.getClassName())
            && String.valueOf(thrown.getMessage()).contains("current state is CLOS");
    return closing ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
