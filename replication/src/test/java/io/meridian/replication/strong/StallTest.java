package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;

class StallTest {
  private static final long SECOND = 1_000_000_000L;
  private final RaftGroupId group = RaftGroupId.valueOf(UUID.randomUUID());
  private final Stall stall = new Stall(Duration.ofSeconds(10));

  @Test
  void behindAndUnmovedForTheLimit_isStuck_once() {
    assertThat(stall.stuck(group, 5, 7, 0)).isFalse();
    assertThat(stall.stuck(group, 5, 9, 9 * SECOND)).isFalse();
    assertThat(stall.stuck(group, 5, 9, 10 * SECOND)).isTrue();
    // Reported: the watch starts over.
    assertThat(stall.stuck(group, 5, 9, 11 * SECOND)).isFalse();
    assertThat(stall.stuck(group, 5, 9, 21 * SECOND)).isTrue();
  }

  @Test
  void movingWhileBehind_isNotStuck() {
    for (int second = 0; second <= 30; second++) {
      assertThat(stall.stuck(group, second, second + 3, second * SECOND)).isFalse();
    }
  }

  @Test
  void caughtUp_isNotStuck_andRestartsTheWatch() {
    assertThat(stall.stuck(group, 5, 7, 0)).isFalse();
    assertThat(stall.stuck(group, 7, 7, 8 * SECOND)).isFalse();
    assertThat(stall.stuck(group, 7, 8, 9 * SECOND)).isFalse();
    assertThat(stall.stuck(group, 7, 8, 18 * SECOND)).isFalse();
    assertThat(stall.stuck(group, 7, 8, 19 * SECOND)).isTrue();
  }

  @Test
  void groupsAreWatchedApart() {
    RaftGroupId other = RaftGroupId.valueOf(UUID.randomUUID());
    assertThat(stall.stuck(group, 1, 2, 0)).isFalse();
    assertThat(stall.stuck(other, 1, 2, 5 * SECOND)).isFalse();
    assertThat(stall.stuck(group, 1, 2, 10 * SECOND)).isTrue();
    assertThat(stall.stuck(other, 1, 2, 10 * SECOND)).isFalse();
  }
}
