package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.config.MeridianConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request deadline of a request the node received whole but did not answer in time. Its handler
 * may have handed a write on (to storage, to a Raft group) that still commits, so the answer must
 * say the outcome is unknown — 504 — never 503, which tells the client nothing was done.
 */
class ConnectionDeadlinesTest {
  private static final long DEADLINE_MILLIS = 300;

  private Vertx vertx;
  private HttpServer server;
  private final CompletableFuture<Void> handedOn = new CompletableFuture<>();

  @BeforeEach
  void startServerThatNeverAnswers() throws Exception {
    vertx = Vertx.vertx();
    CompletableFuture<HttpServer> started = new CompletableFuture<>();
    vertx.runOnContext(
        go -> {
          ConnectionDeadlines deadlines =
              new ConnectionDeadlines(
                  vertx, DEADLINE_MILLIS, new MeridianConfig.Replication(3, 2, 2, 1_000));
          Router router = Router.router(vertx);
          router.route().handler(deadlines::onRequest);
          router
              .route()
              .handler(ctx -> ctx.request().body().onSuccess(body -> handedOn.complete(null)));
          vertx
              .createHttpServer()
              .connectionHandler(deadlines::onConnection)
              .requestHandler(router)
              .listen(0, "127.0.0.1")
              .onComplete(
                  listening -> {
                    if (listening.succeeded()) {
                      started.complete(listening.result());
                    } else {
                      started.completeExceptionally(listening.cause());
                    }
                  });
        });
    server = started.get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void requestReceivedWhole_butNotAnsweredInTime_gets504OutcomeUnknown() throws IOException {
    Reply reply = exchangeJson("PUT", "/v1/strong/k", "{\"value\": \"v\"}");

    assertThat(handedOn).as("the handler received the whole request").isDone();
    String detail = assertProblem(reply, 504, "timeout").getString("detail");
    assertThat(detail).contains("may still be applied");
    assertThat(reply.header("Connection")).isEqualTo("close");
  }

  @Test
  void crdtRequestCutOff_saysNoReplicaAcknowledgedIt() throws IOException {
    Reply reply = exchangeJson("POST", "/v1/counters/c?consistency=all", "{\"delta\": 1}");

    assertProblem(reply, 504, "timeout");
    assertThat(reply.header("X-Meridian-Replicas")).isEqualTo("0/3");
  }

  @Test
  void strongRequestCutOff_hasNoReplicaCount() throws IOException {
    Reply reply = RawHttp.exchange(server.actualPort(), RawHttp.head("GET", "/v1/strong/k"));

    assertProblem(reply, 504, "timeout");
    assertThat(reply.header("X-Meridian-Replicas")).isNull();
  }

  private Reply exchangeJson(String method, String target, String body) throws IOException {
    return RawHttp.exchange(
        server.actualPort(),
        RawHttp.head(
                method,
                target,
                "Content-Type: application/json",
                "Content-Length: " + body.length())
            + body);
  }
}
