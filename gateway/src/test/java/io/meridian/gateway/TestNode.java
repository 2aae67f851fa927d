package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A node started in-process on free loopback ports with its data in a test's directory, and an
 * HTTP/1.1 client for it. Closing it stops the node.
 */
final class TestNode implements AutoCloseable {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final MeridianNode node;
  private final int port;
  private final HttpClient client;

  private TestNode(MeridianNode node, int port) {
    this.node = node;
    this.port = port;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(REQUEST_TIMEOUT)
            .build();
  }

  /**
   * Starts a node whose data lives in {@code dataDir}.
   *
   * @param overrides more {@code key=value} settings, applied after the ports and the data dir
   */
  static TestNode start(Path dataDir, String... overrides) {
    int port = freePort();
    List<String> settings = new ArrayList<>(config(port, dataDir));
    settings.addAll(List.of(overrides));
    MeridianConfig config = new ConfigLoader().load(Optional.empty(), settings);
    return new TestNode(MeridianNode.start(config), port);
  }

  /** The settings that put a node on free loopback ports with its data in {@code dataDir}. */
  static List<String> config(int httpPort, Path dataDir) {
    return List.of(
        "http.port=" + httpPort,
        "node.dataDir=" + dataDir,
        "cluster.port=" + freePort(),
        "cluster.busPort=" + freePort(),
        "raft.port=" + freePort());
  }

  /** A TCP port on 127.0.0.1 that nothing listens on at the time of the call. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  Reply get(String path) {
    return send(request(path).GET());
  }

  Reply delete(String path) {
    return send(request(path).DELETE());
  }

  /** A POST of a JSON body. */
  Reply post(String path, String json) {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, UTF_8)));
  }

  /** A PUT of raw bytes; no Content-Type header when {@code contentType} is null. */
  Reply put(String path, byte[] body, String contentType) {
    HttpRequest.Builder builder = request(path).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      builder.header("Content-Type", contentType);
    }
    return send(builder);
  }

  Reply method(String method, String path) {
    return send(request(path).method(method, HttpRequest.BodyPublishers.noBody()));
  }

  /** The value of counter {@code key} (URL-encoded as given), failing if it cannot be read. */
  long counter(String key) {
    Reply reply = get("/v1/counters/" + key);
    if (reply.status() != 200) {
      throw new AssertionError("counter " + key + ": " + reply);
    }
    return reply.json().getLong("value");
  }

  /**
   * Mutations the store has committed since start, from {@code /metrics}. Reads never change it, so
   * a request that leaves it unchanged wrote nothing.
   */
  double storedMutations() {
    for (String line : get("/metrics").text().split("\n")) {
      if (line.startsWith("meridian_storage_batch_mutations_sum")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("/metrics has no meridian_storage_batch_mutations_sum");
  }

  HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(REQUEST_TIMEOUT);
  }

  Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<byte[]> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the node, serving on for {@code notice} first as a process stopped by a signal does. */
  void stop(Duration notice) {
    node.stop(notice);
  }

  @Override
  public void close() {
    node.stop();
  }
}
