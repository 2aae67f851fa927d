package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LogSizeSnapshotsTest {
  private final List<CompletableFuture<Void>> asked = new ArrayList<>();
  private final LogSizeSnapshots snapshots =
      new LogSizeSnapshots(
          1_000,
          () -> {
            CompletableFuture<Void> request = new CompletableFuture<>();
            asked.add(request);
            return request;
          });

  @Test
  void asksOnceTheLogSinceTheLastSnapshotReachesTheFloor_andNotAgainWhileAsking() {
    snapshots.applied(999);
    assertThat(asked).isEmpty();
    snapshots.applied(1);
    snapshots.applied(500);
    assertThat(asked).hasSize(1);
  }

  @Test
  void asksAgain_whenTheAskEndedWithoutASnapshot() {
    snapshots.applied(1_000);
    asked.get(0).completeExceptionally(new IllegalStateException("refused"));
    snapshots.applied(1);
    assertThat(asked).hasSize(2);
  }

  @Test
  void afterASnapshot_countsAnew_upToTheLargerOfTheFloorAndTheSnapshotsSize() {
    snapshots.applied(1_000);
    snapshots.snapshotTaken(5_000);
    asked.get(0).complete(null);
    snapshots.applied(4_999);
    assertThat(asked).hasSize(1);
    snapshots.applied(1);
    assertThat(asked).hasSize(2);
  }
}
