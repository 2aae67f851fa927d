package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdentityTest {
  @TempDir Path dir;

  @Test
  void loadOrCreate_reopenedStore_keepsItsIncarnation() {
    NodeIdentity first;
    try (LmdbStore store = StoreFixture.open(dir)) {
      first = NodeIdentity.loadOrCreate(store, "n1", 1_000);
    }
    try (LmdbStore store = StoreFixture.open(dir)) {
      assertThat(NodeIdentity.loadOrCreate(store, "n1", 2_000)).isEqualTo(first);
    }
  }

  @Test
  void loadOrCreate_wipedDataDirectory_getsAFreshReplicaId() throws IOException {
    NodeIdentity before;
    try (LmdbStore store = StoreFixture.open(dir)) {
      before = NodeIdentity.loadOrCreate(store, "n1", 1_000);
    }
    wipe(dir);
    try (LmdbStore store = StoreFixture.open(dir)) {
      NodeIdentity after = NodeIdentity.loadOrCreate(store, "n1", 1_000);
      assertThat(after.nodeId()).isEqualTo("n1");
      assertThat(after.replicaId()).isNotEqualTo(before.replicaId());
    }
  }

  @Test
  void loadOrCreate_dataDirectoryOfAnotherNode_isRefused() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      NodeIdentity.loadOrCreate(store, "n1", 1_000);
    }
    try (LmdbStore store = StoreFixture.open(dir)) {
      assertThatThrownBy(() -> NodeIdentity.loadOrCreate(store, "n2", 1_000))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("belongs to node 'n1'");
    }
  }

  private static void wipe(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .filter(p -> !p.equals(dir))
          .forEach(p -> p.toFile().delete());
    }
  }
}
