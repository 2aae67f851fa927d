package io.meridian.benchmarks.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Runs closed loops of one {@link Phase} on one event loop: each loop sends a request, waits for
 * the whole response, records it, and sends the next. With as many loops in total as the client
 * pool has connections, every connection carries exactly one request at a time.
 *
 * <p>Deploying one instance per event loop is what spreads the loops over the cores: requests made
 * from a non-Vert.x thread would all share one sticky event loop.
 */
final class LoadVerticle extends VerticleBase {
  private final HttpClient client;
  private final Target target;
  private final Phase phase;
  private final List<RandomGenerator> loopRandoms;
  private final LatencyReport report = new LatencyReport();
  private final Promise<LatencyReport> finished = Promise.promise();
  private int loopsRunning;

  /** Where requests go; {@code timeoutMillis} bounds each silence while awaiting a response. */
  record Target(String host, int port, boolean ssl, long timeoutMillis) {
    Target {
      Objects.requireNonNull(host, "host");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      if (timeoutMillis < 1) {
        throw new IllegalArgumentException("timeout must be positive: " + timeoutMillis);
      }
    }
  }

  /**
   * @param loopRandoms one generator per loop, each used only by its loop
   */
  LoadVerticle(HttpClient client, Target target, Phase phase, List<RandomGenerator> loopRandoms) {
    this.client = Objects.requireNonNull(client, "client");
    this.target = Objects.requireNonNull(target, "target");
    this.phase = Objects.requireNonNull(phase, "phase");
    this.loopRandoms = List.copyOf(loopRandoms);
  }

  /** Completes on this verticle's event loop once every loop has stopped. */
  Future<LatencyReport> finished() {
    return finished.future();
  }

  @Override
  public Future<?> start() {
    loopsRunning = loopRandoms.size();
    if (loopsRunning == 0) {
      finished.complete(report);
    }
    for (RandomGenerator random : loopRandoms) {
      new Loop(random).step();
    }
    return Future.succeededFuture();
  }

  private void loopStopped() {
    if (--loopsRunning == 0) {
      finished.complete(report);
    }
  }

  /** One closed loop: one request in flight at a time. */
  private final class Loop {
    private final RandomGenerator random;
    // A request that fails synchronously (closed client) would recurse into step(); the flags turn
    // that recursion into iteration so the stack stays flat.
    private boolean stepping;
    private boolean stepAgain;

    Loop(RandomGenerator random) {
      this.random = random;
    }

    void step() {
      if (stepping) {
        stepAgain = true;
        return;
      }
      stepping = true;
      try {
        do {
          stepAgain = false;
          sendNext();
        } while (stepAgain);
      } finally {
        stepping = false;
      }
    }

    private void sendNext() {
      long sentNanos = System.nanoTime();
      Optional<Workload.Request> next = phase.next(random, sentNanos);
      if (next.isEmpty()) {
        loopStopped();
        return;
      }
      Workload.Request request = next.get();
      send(request)
          .onComplete(
              result -> {
                long completedNanos = System.nanoTime();
                if (phase.records(sentNanos)) {
                  if (result.succeeded()) {
                    report.recordResponse(
                        request.op(), result.result(), completedNanos - sentNanos, completedNanos);
                  } else {
                    report.recordFailure(request.op(), result.cause(), completedNanos);
                  }
                } else {
                  report.recordWarmup();
                }
                step();
              });
    }
  }

  /** Sends {@code request} and reads the whole response body; the future holds the status. */
  private Future<Integer> send(Workload.Request request) {
    var options =
        new RequestOptions()
            .setHost(target.host())
            .setPort(target.port())
            .setSsl(target.ssl())
            .setMethod(request.method())
            .setURI(request.uri())
            // No RequestOptions#setConnectTimeout: in Vert.x 5.0.x its pool-wait timer can cancel
            // a waiter the pool already served (eclipse-vertx/vert.x#6169), which corrupts the
            // pool and hung runs longer than the timeout. The TCP connect timeout is set on the
            // client instead, and with one loop per pooled connection nothing waits for the pool.
            .setIdleTimeout(target.timeoutMillis());
    return client
        .request(options)
        .compose(
            httpRequest -> {
              if (!request.hasBody()) {
                return httpRequest.send();
              }
              httpRequest.putHeader(HttpHeaders.CONTENT_TYPE, request.contentType());
              return httpRequest.send(request.body());
            })
        .compose(response -> response.body().map(body -> response.statusCode()));
  }
}
