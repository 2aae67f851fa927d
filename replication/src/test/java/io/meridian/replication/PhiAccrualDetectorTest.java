package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PhiAccrualDetectorTest {
  private static final double THRESHOLD = 8.0;
  private static final long PAUSE_MILLIS = 3_000;

  /** Akka's cluster defaults: 1 s heartbeats, 3 s acceptable pause, 100 ms minimum deviation. */
  private static PhiAccrualDetector detector() {
    return new PhiAccrualDetector(THRESHOLD, 1000, 100, PAUSE_MILLIS, 1_000);
  }

  @Test
  void phi_beforeFirstHeartbeat_isZero() {
    PhiAccrualDetector detector = detector();
    assertThat(detector.phi(0)).isZero();
    assertThat(detector.phi(1_000_000)).isZero();
    assertThat(detector.isAvailable(1_000_000)).isTrue();
    assertThat(detector.sampleCount()).isZero();
    assertThat(detector.lastHeartbeatMillis()).isEqualTo(-1);
  }

  @Test
  void heartbeat_first_startsTheClockAndSeedsTheWindowWithTheEstimate() {
    PhiAccrualDetector detector = detector();
    detector.heartbeat(5_000);
    assertThat(detector.lastHeartbeatMillis()).isEqualTo(5_000);
    assertThat(detector.sampleCount()).isEqualTo(2);
    assertThat(detector.isAvailable(5_000 + 1_000)).isTrue();
    // A peer that sends one heartbeat and dies is still suspected: mean 1 s + 3 s pause, sd 250 ms.
    assertThat(detector.phi(5_000 + 10_000)).isGreaterThan(THRESHOLD);
  }

  @Test
  void phi_afterSteadyHeartbeatsThenSilence_crossesThresholdWithinBoundedTime() {
    PhiAccrualDetector detector = detector();
    long last = 0;
    for (long now = 0; now <= 5 * 60_000; now += 1_000) {
      detector.heartbeat(now);
      last = now;
    }
    assertThat(detector.phi(last + 1_000)).isLessThan(THRESHOLD);
    assertThat(detector.isAvailable(last + 1_000)).isTrue();
    assertThat(detector.phi(last + 1_000 + PAUSE_MILLIS + 10_000)).isGreaterThan(THRESHOLD);
    assertThat(detector.isAvailable(last + 1_000 + PAUSE_MILLIS + 10_000)).isFalse();

    long crossing = last;
    while (detector.isAvailable(crossing)) {
      crossing++;
    }
    System.out.printf(
        "steady 1 s heartbeats: phi reaches %.1f %d ms after the last one%n",
        THRESHOLD, crossing - last);
  }

  /**
   * Intervals uniform in [0.5 s, 2.5 s], and in 1% of them a 3 s stop-the-world pause on top: a
   * live but noisy peer must never look dead, even at the worst moment, just before a heartbeat.
   */
  @Test
  void phi_ofJitteryLivePeer_staysBelowThresholdAtEveryArrival() {
    PhiAccrualDetector detector = new PhiAccrualDetector(THRESHOLD, 1000, 500, PAUSE_MILLIS, 1_000);
    SplittableRandom random = new SplittableRandom(20_040_101);
    long now = 0;
    detector.heartbeat(now);
    double maxPhi = 0;
    for (int i = 0; i < 10_000; i++) {
      long interval = random.nextLong(500, 2_501);
      if (random.nextInt(100) == 0) {
        interval += 3_000;
      }
      now += interval;
      double phi = detector.phi(now);
      maxPhi = Math.max(maxPhi, phi);
      assertThat(phi).as("heartbeat %d after %d ms", i, interval).isLessThan(THRESHOLD);
      detector.heartbeat(now);
    }
    System.out.printf("jittery live peer: highest phi just before a heartbeat %.3f%n", maxPhi);
  }

  @Test
  void phi_isNonDecreasingInElapsedTime() {
    PhiAccrualDetector detector = detector();
    SplittableRandom random = new SplittableRandom(7);
    long now = 0;
    for (int i = 0; i < 200; i++) {
      now += random.nextLong(800, 1_300);
      detector.heartbeat(now);
    }
    double previous = detector.phi(now);
    for (long elapsed = 1; elapsed <= 120_000; elapsed++) {
      double phi = detector.phi(now + elapsed);
      assertThat(phi).as("elapsed %d ms", elapsed).isGreaterThanOrEqualTo(previous).isFinite();
      previous = phi;
    }
    assertThat(detector.phi(now + PhiAccrualDetector.MAX_MILLIS * 1_000)).isFinite();
  }

  @Test
  void phi_ofStandardizedLateness_isMonotonicAndMatchesAkkasFormula() {
    double previous = PhiAccrualDetector.phiOfLateness(-1_000);
    for (double y = -1_000; y <= 1_000; y += 0.01) {
      double phi = PhiAccrualDetector.phiOfLateness(y);
      assertThat(phi).isGreaterThanOrEqualTo(previous).isFinite().isNotNegative();
      previous = phi;
    }
    for (double y = -6; y <= 6; y += 0.25) {
      double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
      double akka = y > 0 ? -Math.log10(e / (1.0 + e)) : -Math.log10(1.0 - 1.0 / (1.0 + e));
      assertThat(PhiAccrualDetector.phiOfLateness(y)).as("y=%s", y).isCloseTo(akka, within(1e-9));
    }
  }

  @Test
  void sampleCount_neverExceedsMaxSampleSize() {
    for (int maxSampleSize : new int[] {1, 2, 10, 1000}) {
      PhiAccrualDetector detector =
          new PhiAccrualDetector(THRESHOLD, maxSampleSize, 100, PAUSE_MILLIS, 1_000);
      for (long now = 0; now <= 3_000_000; now += 1_000) {
        detector.heartbeat(now);
        assertThat(detector.sampleCount()).isLessThanOrEqualTo(maxSampleSize);
      }
      assertThat(detector.sampleCount()).isEqualTo(maxSampleSize);
    }
  }

  @Test
  void heartbeat_afterPeerWasConsideredDown_isNotRecorded() {
    PhiAccrualDetector detector = detector();
    for (long now = 0; now <= 60_000; now += 1_000) {
      detector.heartbeat(now);
    }
    int samples = detector.sampleCount();
    long recovery = 60_000 + 120_000;
    assertThat(detector.isAvailable(recovery)).isFalse();
    detector.heartbeat(recovery);
    assertThat(detector.sampleCount()).isEqualTo(samples);
    assertThat(detector.lastHeartbeatMillis()).isEqualTo(recovery);
    assertThat(detector.isAvailable(recovery + 1_000)).isTrue();
  }

  @Test
  void constructor_withInvalidArguments_isRejected() {
    assertInvalid(() -> new PhiAccrualDetector(0, 1000, 100, 3_000, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(Double.NaN, 1000, 100, 3_000, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(Double.POSITIVE_INFINITY, 1000, 100, 3_000, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(8, 0, 100, 3_000, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(8, 1001, 100, 3_000, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(8, 1000, 0, 3_000, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(8, 1000, 100, -1, 1_000));
    assertInvalid(() -> new PhiAccrualDetector(8, 1000, 100, 3_000, 0));
    assertInvalid(
        () -> new PhiAccrualDetector(8, 1000, 100, PhiAccrualDetector.MAX_MILLIS + 1, 1_000));
  }

  @Test
  void heartbeat_goingBackInTime_isRejected() {
    PhiAccrualDetector detector = detector();
    assertInvalid(() -> detector.heartbeat(-1));
    assertInvalid(() -> detector.phi(-1));
    detector.heartbeat(10_000);
    assertInvalid(() -> detector.heartbeat(9_999));
  }

  @Test
  void phi_atTimeBeforeLastHeartbeat_isThatOfNoElapsedTime() {
    PhiAccrualDetector detector = detector();
    detector.heartbeat(10_000);
    detector.heartbeat(11_000);
    assertThat(detector.phi(10_500)).isEqualTo(detector.phi(11_000));
  }

  private static void assertInvalid(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class);
  }
}
