package io.meridian.benchmarks.http;

import java.util.Arrays;
import java.util.stream.Collectors;

/** One kind of request the load generator sends, named as on the command line. */
enum Op {
  /** {@code POST /v1/counters/bench-k} with {@code {"delta":1}}. */
  COUNTER_INCR("counter-incr"),
  /** {@code POST /v1/sets/bench-k} adding one random element. */
  SET_ADD("set-add"),
  /** {@code PUT /v1/keys/bench-k} with random bytes. */
  KEY_PUT("key-put"),
  /** {@code GET /v1/keys/bench-k}; a 404 is a miss, not an error. */
  KEY_GET("key-get"),
  /** {@code GET /}, what {@link HelloWorldServer} answers. */
  HELLO("hello"),
  /** {@code PUT /v1/strong/bench-k} with random bytes: a Raft-committed write. */
  STRONG_PUT("strong-put"),
  /** {@code GET /v1/strong/bench-k}: a linearizable read; a 404 is a miss. */
  STRONG_GET("strong-get"),
  /** etcd v3 JSON gateway {@code POST /v3/kv/put}, the peer of {@link #STRONG_PUT}. */
  ETCD_PUT("etcd-put"),
  /**
   * etcd v3 JSON gateway {@code POST /v3/kv/range} (linearizable), the peer of {@link #STRONG_GET}.
   */
  ETCD_RANGE("etcd-range");

  private final String cliName;

  Op(String cliName) {
    this.cliName = cliName;
  }

  String cliName() {
    return cliName;
  }

  /** Whether a 404 answer means "absent" rather than failure. */
  boolean notFoundIsMiss() {
    return this == KEY_GET || this == STRONG_GET;
  }

  /** The write that creates the keys this op reads, for {@code --preload}. */
  Op preloadOp() {
    return switch (this) {
      case STRONG_PUT, STRONG_GET -> STRONG_PUT;
      case ETCD_PUT, ETCD_RANGE -> ETCD_PUT;
      default -> KEY_PUT;
    };
  }

  static Op fromCliName(String name) {
    for (Op op : values()) {
      if (op.cliName.equals(name)) {
        return op;
      }
    }
    throw new IllegalArgumentException("unknown op '" + name + "'; known ops: " + cliNames());
  }

  static String cliNames() {
    return Arrays.stream(values()).map(Op::cliName).collect(Collectors.joining(", "));
  }
}
