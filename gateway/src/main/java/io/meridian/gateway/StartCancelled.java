package io.meridian.gateway;

/**
 * Start-up gave up because the process was asked to stop (SIGTERM or SIGINT while starting): what
 * had started is stopped again, and the process exits as cleanly as one stopped after serving.
 */
final class StartCancelled extends RuntimeException {
  StartCancelled() {
    super("asked to stop while starting", null, false, false);
  }
}
