package io.meridian.benchmarks.http;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A plain Vert.x HTTP server that answers {@code GET /} with {@code Hello, World!}: the baseline
 * for what HTTP on this machine costs before Meridian parses, replicates or stores anything.
 *
 * <p>One {@link HelloVerticle} per core shares the listening port; Vert.x spreads connections over
 * them round-robin. Once every instance listens it prints {@code listening on http://HOST:PORT}
 * (the actual port, also for {@code --port 0}) and runs until SIGTERM or SIGINT.
 */
@Command(
    name = "hello-world-server",
    mixinStandardHelpOptions = true,
    description = "Vert.x hello-world HTTP server, the baseline for the load generator.")
public final class HelloWorldServer implements Callable<Integer> {
  @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  private String host = "127.0.0.1";

  @Option(names = "--port", description = "Port, 0 for any free one (default: ${DEFAULT-VALUE}).")
  private int port = 8080;

  @Option(names = "--instances", description = "Verticle instances (default: one per core).")
  private int instances = Runtime.getRuntime().availableProcessors();

  public static void main(String[] args) {
    JulLogging.install();
    System.exit(new CommandLine(new HelloWorldServer()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    if (instances < 1 || port < 0 || port > 65535) {
      System.err.println("--instances must be positive and --port in [0, 65535]");
      return 2;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(cores));
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  vertx.close().await();
                  stopped.countDown();
                },
                "hello-world-shutdown"));
    int actualPort;
    try {
      actualPort = deploy(vertx, host, port, instances).await();
    } catch (Exception e) { // await() rethrows the cause as is, checked or not (BindException)
      System.err.println("cannot listen on " + host + ":" + port + ": " + e.getMessage());
      vertx.close().await();
      return 1;
    }
    System.out.println("listening on http://" + host + ":" + actualPort);
    System.out.flush();
    stopped.await();
    return 0;
  }

  /**
   * Deploys {@code instances} verticles sharing {@code host:port}; completes with the bound port.
   *
   * <p>Vert.x shares a listening socket among servers asking for the same port, but every server
   * asking for port 0 gets a port of its own. So for port 0 a throwaway server first asks the
   * kernel for a free port, closes, and all instances then listen on that port.
   */
  static Future<Integer> deploy(Vertx vertx, String host, int port, int instances) {
    Future<Integer> chosen =
        port != 0
            ? Future.succeededFuture(port)
            : vertx
                .createHttpServer(new HttpServerOptions().setHost(host).setPort(0))
                .requestHandler(request -> request.response().end())
                .listen()
                .compose(probe -> probe.close().map(closed -> probe.actualPort()));
    return chosen.compose(
        bound ->
            vertx
                .deployVerticle(
                    () -> new HelloVerticle(host, bound),
                    new DeploymentOptions().setInstances(instances))
                .map(id -> bound));
  }

  /** One event loop's share of the server. */
  static final class HelloVerticle extends VerticleBase {
    private final String host;
    private final int port;
    private final Buffer hello = Buffer.buffer("Hello, World!");

    HelloVerticle(String host, int port) {
      this.host = host;
      this.port = port;
    }

    @Override
    public Future<?> start() {
      return vertx
          .createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
          .requestHandler(this::handle)
          .listen()
          .mapEmpty();
    }

    private void handle(HttpServerRequest request) {
      if (request.method() == HttpMethod.GET && "/".equals(request.path())) {
        request
            .response()
            .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
            .end(hello);
      } else {
        request.response().setStatusCode(404).end();
      }
    }
  }
}
