package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Distinct 16 KiB register values written to node 0 of a {@link ProcessCluster} to fill its disk or
 * its LMDB map, remembering every value that was acknowledged so that all of them can be read back.
 */
final class RegisterFill {
  static final int VALUE_BYTES = 16 << 10;
  private static final int MAX_VALUES = 10_000;

  private final ProcessCluster node;
  private final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
  private int next;

  RegisterFill(ProcessCluster node) {
    this.node = node;
  }

  /** PUTs the next value, {@code /v1/keys/fill<n>}, and returns the answer. */
  Reply put() {
    int n = next++;
    byte[] value = new byte[VALUE_BYTES];
    new SplittableRandom(n).nextBytes(value);
    String key = "fill" + n;
    Reply reply = node.put(0, "/v1/keys/" + key, value, "application/octet-stream");
    if (reply.status() == 200) {
      acknowledged.put(key, value);
    }
    return reply;
  }

  /** PUTs values until one is refused, and returns that refusal. */
  Reply untilRefused() {
    for (int i = 0; i < MAX_VALUES; i++) {
      Reply reply = put();
      if (reply.status() != 200) {
        return reply;
      }
    }
    throw new AssertionError(MAX_VALUES + " values of 16 KiB written and none refused");
  }

  /** How many values were acknowledged. */
  int acknowledged() {
    return acknowledged.size();
  }

  /** Reads every acknowledged value back and compares its bytes. */
  void assertReadBack() {
    for (Map.Entry<String, byte[]> entry : acknowledged.entrySet()) {
      Reply read = node.get(0, "/v1/keys/" + entry.getKey());
      assertThat(read.status()).as("read of %s: %s", entry.getKey(), read).isEqualTo(200);
      assertThat(Arrays.equals(read.body(), entry.getValue()))
          .as("%s reads back as written", entry.getKey())
          .isTrue();
    }
  }
}
