package io.meridian.benchmarks.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * What to send: an op mix over a key distribution, with the request each op makes per the HTTP
 * contract in {@code API.md}.
 *
 * @param basePath path prefix of the target URL without a trailing slash, usually empty
 * @param valueBytes size of each {@code key-put} body
 * @param setElements how many distinct elements {@code set-add} draws from; bounded because the add
 *     response lists the whole set, so an unbounded set would measure its own growth
 */
record Workload(String basePath, OpMix mix, KeyDistribution keys, int valueBytes, int setElements) {
  static final int VALUE_BYTES_MAX = 64 * 1024 * 1024;
  static final String KEY_PREFIX = "bench-";
  private static final byte[] COUNTER_INCR_BODY =
      "{\"delta\":1}".getBytes(StandardCharsets.US_ASCII);

  Workload {
    Objects.requireNonNull(basePath, "basePath");
    Objects.requireNonNull(mix, "mix");
    Objects.requireNonNull(keys, "keys");
    if (basePath.endsWith("/")) {
      throw new IllegalArgumentException("basePath must not end with '/': " + basePath);
    }
    if (valueBytes < 0 || valueBytes > VALUE_BYTES_MAX) {
      throw new IllegalArgumentException(
          "value bytes must be in [0, " + VALUE_BYTES_MAX + "], got " + valueBytes);
    }
    if (setElements < 1) {
      throw new IllegalArgumentException("set elements must be positive, got " + setElements);
    }
  }

  /**
   * One HTTP request, ready to send; {@code contentType} and {@code body} are empty for requests
   * without a body.
   */
  record Request(Op op, HttpMethod method, String uri, String contentType, Buffer body) {
    Request {
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
    }

    boolean hasBody() {
      return !contentType.isEmpty();
    }
  }

  /** The write {@code --preload} uses to create the keys the mix reads. */
  Op preloadOp() {
    return mix.preloadOp();
  }

  /** The next request of the mix, on a key from the distribution. */
  Request next(RandomGenerator random) {
    Op op = mix.next(random);
    return request(op, op == Op.HELLO ? 0 : keys.next(random), random);
  }

  /** The request {@code op} makes on key index {@code key}. */
  Request request(Op op, int key, RandomGenerator random) {
    return switch (op) {
      case COUNTER_INCR ->
          new Request(
              op,
              HttpMethod.POST,
              basePath + "/v1/counters/" + KEY_PREFIX + key,
              "application/json",
              Buffer.buffer(COUNTER_INCR_BODY));
      case SET_ADD ->
          new Request(
              op,
              HttpMethod.POST,
              basePath + "/v1/sets/" + KEY_PREFIX + key,
              "application/json",
              Buffer.buffer("{\"add\":[\"e" + random.nextInt(setElements) + "\"]}"));
      case KEY_PUT ->
          new Request(
              op,
              HttpMethod.PUT,
              basePath + "/v1/keys/" + KEY_PREFIX + key,
              "application/octet-stream",
              Buffer.buffer(randomBytes(random)));
      case KEY_GET ->
          new Request(
              op, HttpMethod.GET, basePath + "/v1/keys/" + KEY_PREFIX + key, "", Buffer.buffer());
      case HELLO -> new Request(op, HttpMethod.GET, basePath + "/", "", Buffer.buffer());
      case STRONG_PUT ->
          new Request(
              op,
              HttpMethod.PUT,
              basePath + "/v1/strong/" + KEY_PREFIX + key,
              "application/octet-stream",
              Buffer.buffer(randomBytes(random)));
      case STRONG_GET ->
          new Request(
              op, HttpMethod.GET, basePath + "/v1/strong/" + KEY_PREFIX + key, "", Buffer.buffer());
      case ETCD_PUT ->
          new Request(
              op,
              HttpMethod.POST,
              basePath + "/v3/kv/put",
              "application/json",
              Buffer.buffer(
                  "{\"key\":\""
                      + base64(KEY_PREFIX + key)
                      + "\",\"value\":\""
                      + Base64.getEncoder().encodeToString(randomBytes(random))
                      + "\"}"));
      case ETCD_RANGE ->
          new Request(
              op,
              HttpMethod.POST,
              basePath + "/v3/kv/range",
              "application/json",
              Buffer.buffer("{\"key\":\"" + base64(KEY_PREFIX + key) + "\"}"));
    };
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private byte[] randomBytes(RandomGenerator random) {
    byte[] value = new byte[valueBytes];
    random.nextBytes(value);
    return value;
  }
}
