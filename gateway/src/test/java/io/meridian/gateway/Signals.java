package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** POSIX signals to a test's own child processes, by PID, and waiting for them to exit. */
final class Signals {
  private Signals() {}

  /** Sends a signal with {@code kill -<SIGNAL> <pid>}, e.g. {@code KILL}, {@code STOP}. */
  static void send(Process process, String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      String output = new String(kill.getInputStream().readAllBytes(), UTF_8);
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException(
            "kill -" + signal + " " + process.pid() + " failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until {@code process} has exited; fails naming {@code what} if it takes longer. */
  static void awaitExit(Process process, String what, Duration atMost) {
    try {
      if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(what + " (pid " + process.pid() + ") did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops every process still running: SIGTERM to all, then SIGKILL to those that have not exited
   * within {@code grace} of it.
   */
  static void stopAll(Iterable<Process> processes, Duration grace) {
    processes.forEach(
        p -> {
          if (p.isAlive()) {
            p.destroy();
          }
        });
    long deadline = System.nanoTime() + grace.toNanos();
    for (Process process : processes) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!process.waitFor(left, TimeUnit.NANOSECONDS)) {
          process.destroyForcibly();
          process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
