package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataKeyTest {

  @Test
  void storageKey_ofLongestAllowedKeys_fitsLmdbAndStaysUnique() {
    String shared = "x".repeat(600);
    DataKey a = new DataKey(Keyspace.KEYS, shared + "a");
    DataKey b = new DataKey(Keyspace.KEYS, shared + "b");
    assertThat(a.storageKey()).hasSizeLessThanOrEqualTo(DataKey.LMDB_MAX_KEY_BYTES);
    assertThat(a.storageKey()).isNotEqualTo(b.storageKey());
  }

  @Test
  void storageKey_sameKeyInOtherKeyspace_differs() {
    assertThat(new DataKey(Keyspace.KEYS, "k").storageKey())
        .isNotEqualTo(new DataKey(Keyspace.SETS, "k").storageKey());
  }

  @Test
  void token_isStableAcrossInstances() {
    assertThat(new DataKey(Keyspace.COUNTERS, "visits").token())
        .isEqualTo(new DataKey(Keyspace.COUNTERS, "visits").token());
  }

  @Test
  void storageKey_ordersKeysOfAKeyspaceByToken() {
    Set<Long> tokens = new HashSet<>();
    DataKey previous = null;
    for (int i = 0; i < 1_000; i++) {
      DataKey key = new DataKey(Keyspace.SETS, "k" + i);
      tokens.add(key.token());
      if (previous != null) {
        int byToken = Long.compare(previous.token(), key.token());
        int byBytes = java.util.Arrays.compareUnsigned(previous.storageKey(), key.storageKey());
        assertThat(Integer.signum(byBytes)).isEqualTo(Integer.signum(byToken));
      }
      previous = key;
    }
    assertThat(tokens).hasSize(1_000);
  }
}
