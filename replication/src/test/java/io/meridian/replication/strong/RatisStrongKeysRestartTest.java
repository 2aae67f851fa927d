package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.InMemoryStore;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.ConfigException;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A clustered node restarted on the data of an earlier run, with a configuration that differs. */
class RatisStrongKeysRestartTest {
  @TempDir Path dir;

  @Test
  void aRaftAddressOtherThanThePlacementKnows_isRefusedNamingRaftPort() {
    int port = RatisStrongKeysTest.freePort();
    InMemoryStore store = new InMemoryStore();
    Placement agreed =
        Placement.compute(
            8,
            List.of(
                new RaftMember("n1", "eu", "127.0.0.1:" + (port + 1)),
                new RaftMember("n2", "eu", "127.0.0.1:9802"),
                new RaftMember("n3", "eu", "127.0.0.1:9803")));
    byte[] json = agreed.toJson().encode().getBytes(UTF_8);
    store
        .update(
            Table.META,
            "strong.placement".getBytes(UTF_8),
            current -> StoreUpdate.Outcome.write(json, null))
        .join();
    MeridianConfig config =
        new ConfigLoader()
            .load(
                Optional.empty(),
                List.of(
                    "node.id=n1",
                    "node.region=eu",
                    "node.dataDir=" + dir,
                    "cluster.seeds=[127.0.0.1:5702]",
                    "raft.port=" + port));

    assertThatThrownBy(() -> RatisStrongKeys.start(config, store))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.getMessage()).contains("raft.port"))
        .hasMessageContaining("127.0.0.1:" + (port + 1));
  }
}
