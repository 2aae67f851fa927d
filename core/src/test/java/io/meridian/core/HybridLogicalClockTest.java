package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {

  @Test
  void now_followsPhysicalTimeWhenItAdvances() {
    AtomicLong millis = new AtomicLong(1_000);
    HybridLogicalClock clock = new HybridLogicalClock(millis::get);
    long first = clock.now();
    millis.set(2_000);
    long second = clock.now();
    assertThat(HybridLogicalClock.physicalMillisOf(first)).isEqualTo(1_000);
    assertThat(HybridLogicalClock.physicalMillisOf(second)).isEqualTo(2_000);
  }

  @Test
  void now_whenPhysicalTimeStandsStillOrGoesBack_stillIncreases() {
    AtomicLong millis = new AtomicLong(5_000);
    HybridLogicalClock clock = new HybridLogicalClock(millis::get);
    long previous = clock.now();
    for (int i = 0; i < 100_000; i++) {
      if (i == 50_000) {
        millis.set(1_000);
      }
      long next = clock.now();
      assertThat(next).isGreaterThan(previous);
      previous = next;
    }
  }

  @Test
  void observe_remoteTimestampAhead_laterTimestampsExceedIt() {
    HybridLogicalClock clock = new HybridLogicalClock(() -> 1_000);
    long remote = (9_000L << 16) + 7;
    clock.observe(remote);
    assertThat(clock.now()).isGreaterThan(remote);
  }

  @Test
  void restoreAtLeast_resumesAboveThePersistedHighWaterMark() {
    HybridLogicalClock before = new HybridLogicalClock(() -> 10_000);
    long issued = 0;
    for (int i = 0; i < 10; i++) {
      issued = before.now();
    }
    // The restarted node's wall clock is behind the old one.
    HybridLogicalClock after = new HybridLogicalClock(() -> 9_000);
    after.restoreAtLeast(before.current());
    assertThat(after.now()).isGreaterThan(issued);
  }
}
