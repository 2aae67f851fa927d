package io.meridian.benchmarks.http;

import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;

/**
 * Routes Vert.x and Netty logging to {@code java.util.logging} for the benchmark processes.
 *
 * <p>Logback arrives on the classpath through the gateway, without a configuration for these mains,
 * and its fallback logs DEBUG to standard output: Netty's start-up chatter would land in the middle
 * of the JSON that scripts parse. JUL defaults to INFO on standard error.
 */
final class JulLogging {
  private JulLogging() {}

  /** Call first in {@code main}, before anything touches Vert.x or Netty. */
  static void install() {
    System.setProperty(
        "vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.JULLogDelegateFactory");
    InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
  }
}
