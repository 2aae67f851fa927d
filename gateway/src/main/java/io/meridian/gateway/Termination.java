package io.meridian.gateway;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * When this process should stop: on SIGTERM or SIGINT, and for a node that {@code local-cluster}
 * started, when that parent is gone. Handled from the start of the process, so a signal during
 * start-up ends it as cleanly as one later (a local-cluster stops the nodes it had started so far,
 * instead of leaving them running), and it exits with 0 rather than the JVM's 143.
 */
final class Termination {
  /** Set by {@code local-cluster} in its nodes' environment: the pid of the local-cluster. */
  static final String PARENT_PID_VARIABLE = "MERIDIAN_LOCAL_CLUSTER_PID";

  private static final CountDownLatch requested = new CountDownLatch(1);

  private Termination() {}

  /**
   * Takes over SIGTERM and SIGINT: from now on they request termination. Not a second signal to end
   * at once: a terminal's Ctrl-C reaches a local cluster's nodes and their launcher alike, and the
   * launcher then sends each node SIGTERM too.
   */
  static void handleSignals() {
    Signal.handle(new Signal("TERM"), signal -> requested.countDown());
    Signal.handle(new Signal("INT"), signal -> requested.countDown());
  }

  /**
   * Requests termination once the parent named in {@link #PARENT_PID_VARIABLE} is gone (killed with
   * SIGKILL, say): a node of a local cluster must not outlive it unseen.
   */
  static void followParentFromEnvironment() {
    Optional<Long> parent =
        Optional.ofNullable(System.getenv(PARENT_PID_VARIABLE)).flatMap(Termination::parsePid);
    if (parent.isEmpty()) {
      return;
    }
    Thread watcher =
        new Thread(
            () -> {
              while (ProcessHandle.current().parent().map(ProcessHandle::pid).equals(parent)) {
                try {
                  Thread.sleep(500);
                } catch (InterruptedException e) {
                  return;
                }
              }
              System.err.println("meridian: the local-cluster (pid " + parent.get() + ") is gone");
              requested.countDown();
            },
            "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static Optional<Long> parsePid(String text) {
    try {
      return Optional.of(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  static boolean requested() {
    return requested.getCount() == 0;
  }

  /** Blocks until termination is requested. */
  static void await() {
    try {
      requested.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits at most {@code timeout}; whether termination was requested. */
  static boolean await(Duration timeout) throws InterruptedException {
    return requested.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }
}
