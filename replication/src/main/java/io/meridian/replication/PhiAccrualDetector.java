package io.meridian.replication;

/**
 * The φ accrual failure detector of one peer (Hayashibara, Défago, Yared and Katayama, "The φ
 * Accrual Failure Detector", SRDS 2004): instead of a yes/no verdict it reports φ, a level of
 * suspicion on a log scale: at φ = 1 a live peer's next heartbeat would be this late one time in
 * ten, at φ = 2 one time in a hundred, and so on. The caller picks the threshold.
 *
 * <p>It follows Akka's and Pekko's {@code PhiAccrualFailureDetector}: inter-arrival times of
 * heartbeats are modelled as a normal distribution estimated over a sliding window of the last
 * {@code maxSampleSize} intervals; the mean is increased by the acceptable heartbeat pause, so a GC
 * pause or a busy box of that length is not yet suspicious; the standard deviation is floored at
 * {@code minStdDeviationMillis}, so a peer with metronome-regular heartbeats is not declared dead
 * by the first slightly late one. The first heartbeat seeds the window with two intervals, {@code
 * firstHeartbeatEstimateMillis} minus and plus a quarter of it, so a peer that sends one heartbeat
 * and dies is still detected. An interval that ends while the peer is already considered down is
 * not recorded, so the pause of an outage does not widen the distribution after recovery.
 *
 * <p>φ is computed from the logistic approximation of the normal CDF that Akka uses (Bowling et
 * al., "A logistic approximation to the cumulative normal distribution", 2009), evaluated in log
 * space: the same values, but it grows without ever reaching infinity and never loses its
 * monotonicity in the elapsed time.
 *
 * <p>Deterministic and I/O-free: every method takes the current time, in milliseconds of a
 * monotonic clock that starts at or after zero. Not thread-safe; one protocol thread owns it. The
 * window is a ring buffer with a running sum and sum of squares, so a heartbeat and a φ query are
 * O(1).
 */
public final class PhiAccrualDetector {
  /** Upper bound of the window (DESIGN.md: up to 1000 intervals). */
  public static final int MAX_SAMPLE_SIZE = 1000;

  /**
   * Upper bound of every duration the detector takes or records. Intervals are clamped to it, so
   * the sum of squares of a full window (at most 1000 times a day squared, 7.5e18) fits a long.
   */
  public static final long MAX_MILLIS = 24L * 60 * 60 * 1000;

  private static final double LN_10 = Math.log(10);

  private final double threshold;
  private final long minStdDeviationMillis;
  private final long acceptableHeartbeatPauseMillis;
  private final long firstHeartbeatEstimateMillis;
  private final long[] intervals;
  private int intervalCount;
  private int nextSlot;
  private long intervalSum;
  private long intervalSquareSum;
  private long lastHeartbeatMillis = -1;

  public PhiAccrualDetector(
      double threshold,
      int maxSampleSize,
      long minStdDeviationMillis,
      long acceptableHeartbeatPauseMillis,
      long firstHeartbeatEstimateMillis) {
    if (!(threshold > 0) || Double.isInfinite(threshold)) {
      throw new IllegalArgumentException("threshold must be positive and finite: " + threshold);
    }
    if (maxSampleSize < 1 || maxSampleSize > MAX_SAMPLE_SIZE) {
      throw new IllegalArgumentException(
          "maxSampleSize must be in [1, " + MAX_SAMPLE_SIZE + "]: " + maxSampleSize);
    }
    checkMillis("minStdDeviationMillis", minStdDeviationMillis, 1);
    checkMillis("acceptableHeartbeatPauseMillis", acceptableHeartbeatPauseMillis, 0);
    checkMillis("firstHeartbeatEstimateMillis", firstHeartbeatEstimateMillis, 1);
    this.threshold = threshold;
    this.minStdDeviationMillis = minStdDeviationMillis;
    this.acceptableHeartbeatPauseMillis = acceptableHeartbeatPauseMillis;
    this.firstHeartbeatEstimateMillis = firstHeartbeatEstimateMillis;
    this.intervals = new long[maxSampleSize];
  }

  /**
   * Records a heartbeat received at {@code nowMillis}; the first one only starts the clock. Time
   * must not go back: a negative interval would corrupt the window.
   */
  public void heartbeat(long nowMillis) {
    if (nowMillis < 0 || nowMillis < lastHeartbeatMillis) {
      throw new IllegalArgumentException(
          "heartbeat time must be non-negative and not before the last one at "
              + lastHeartbeatMillis
              + ": "
              + nowMillis);
    }
    if (lastHeartbeatMillis < 0) {
      long deviation = firstHeartbeatEstimateMillis / 4;
      record(firstHeartbeatEstimateMillis - deviation);
      record(firstHeartbeatEstimateMillis + deviation);
    } else if (isAvailable(nowMillis)) {
      record(nowMillis - lastHeartbeatMillis);
    }
    lastHeartbeatMillis = nowMillis;
  }

  /**
   * The suspicion level at {@code nowMillis}: -log10 of the probability that the next heartbeat
   * arrives this late or later. 0.0 before the first heartbeat, since an unheard-of peer is not
   * suspected.
   */
  public double phi(long nowMillis) {
    if (nowMillis < 0) {
      throw new IllegalArgumentException("time must be non-negative: " + nowMillis);
    }
    if (lastHeartbeatMillis < 0) {
      return 0.0;
    }
    double mean = (double) intervalSum / intervalCount;
    double variance = Math.max(0.0, (double) intervalSquareSum / intervalCount - mean * mean);
    double stdDeviation = Math.max(Math.sqrt(variance), minStdDeviationMillis);
    // A reading taken just before the last heartbeat was processed is not an error: no time has
    // elapsed, as far as suspicion goes.
    double elapsed = Math.max(0, nowMillis - lastHeartbeatMillis);
    return phiOfLateness((elapsed - (mean + acceptableHeartbeatPauseMillis)) / stdDeviation);
  }

  /** Whether the peer is considered up at {@code nowMillis}: φ below the threshold. */
  public boolean isAvailable(long nowMillis) {
    return phi(nowMillis) < threshold;
  }

  /** The number of intervals in the window, including the two seeded by the first heartbeat. */
  public int sampleCount() {
    return intervalCount;
  }

  /**
   * Restarts the wait for the next heartbeat at {@code nowMillis} without recording an interval:
   * after this node itself was paused (a stop signal, a long GC), the silence was ours, not the
   * peer's, and must neither raise suspicion nor skew the interval statistics.
   */
  public void forgivePauseUntil(long nowMillis) {
    if (lastHeartbeatMillis >= 0 && nowMillis > lastHeartbeatMillis) {
      lastHeartbeatMillis = nowMillis;
    }
  }

  /** The time of the last heartbeat, or -1 if none has arrived. */
  public long lastHeartbeatMillis() {
    return lastHeartbeatMillis;
  }

  /**
   * φ for a lateness of {@code y} standard deviations. Akka computes {@code -log10(e / (1 + e))}
   * with {@code e = exp(-z)}, {@code z = y (1.5976 + 0.070566 y²)}, which is {@code log10(1 +
   * exp(z))}; written as below it neither overflows nor turns into infinity for large {@code y}.
   */
  static double phiOfLateness(double y) {
    double z = y * (1.5976 + 0.070566 * y * y);
    double lnOnePlusExpZ = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    return lnOnePlusExpZ / LN_10;
  }

  private void record(long intervalMillis) {
    long interval = Math.min(intervalMillis, MAX_MILLIS);
    if (intervalCount == intervals.length) {
      long evicted = intervals[nextSlot];
      intervalSum -= evicted;
      intervalSquareSum -= evicted * evicted;
    } else {
      intervalCount++;
    }
    intervals[nextSlot] = interval;
    intervalSum += interval;
    intervalSquareSum += interval * interval;
    nextSlot = (nextSlot + 1) % intervals.length;
  }

  private static void checkMillis(String name, long value, long min) {
    if (value < min || value > MAX_MILLIS) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + MAX_MILLIS + "]: " + value);
    }
  }
}
