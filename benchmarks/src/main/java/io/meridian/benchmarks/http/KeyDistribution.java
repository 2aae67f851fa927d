package io.meridian.benchmarks.http;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Which key index in {@code [0, keys)} the next request touches.
 *
 * <p>Implementations hold no random state: every caller passes its own generator, so each closed
 * loop draws a reproducible sequence from its seed without sharing anything across event loops.
 */
sealed interface KeyDistribution permits KeyDistribution.Uniform, KeyDistribution.Zipf {
  /**
   * Most keys a run may use. A Zipf CDF costs 8 bytes per key, and a key space this size already
   * exceeds what a 30 s run touches.
   */
  int KEYS_MAX = 50_000_000;

  int keys();

  /** The next key index, in {@code [0, keys())}. */
  int next(RandomGenerator random);

  /** Every key equally likely. */
  record Uniform(int keys) implements KeyDistribution {
    public Uniform {
      checkKeys(keys);
    }

    @Override
    public int next(RandomGenerator random) {
      return random.nextInt(keys);
    }

    @Override
    public String toString() {
      return "uniform over " + keys + " keys";
    }
  }

  /**
   * Zipf's law: the key of rank {@code i} (0-based) is drawn with probability proportional to
   * {@code 1 / (i + 1)^exponent}, so key 0 is the hottest. Exponent 0.99 is YCSB's default skew
   * (Cooper et al., "Benchmarking Cloud Serving Systems with YCSB", SoCC 2010).
   *
   * <p>Sampling inverts a precomputed cumulative distribution with a binary search: exact for any
   * exponent and {@code O(log keys)} per draw, at the price of one {@code double} per key.
   */
  final class Zipf implements KeyDistribution {
    private final double exponent;
    private final double[] cumulative;

    Zipf(int keys, double exponent) {
      checkKeys(keys);
      if (!(exponent > 0) || !Double.isFinite(exponent)) {
        throw new IllegalArgumentException("zipf exponent must be positive, got " + exponent);
      }
      this.exponent = exponent;
      this.cumulative = new double[keys];
      double sum = 0;
      for (int rank = 0; rank < keys; rank++) {
        sum += 1 / Math.pow(rank + 1, exponent);
        cumulative[rank] = sum;
      }
      for (int rank = 0; rank < keys; rank++) {
        cumulative[rank] /= sum;
      }
      // Rounding may leave the last entry a hair below 1; a draw above it must still map to a key.
      cumulative[keys - 1] = 1.0;
    }

    @Override
    public int keys() {
      return cumulative.length;
    }

    @Override
    public int next(RandomGenerator random) {
      double u = random.nextDouble();
      int found = Arrays.binarySearch(cumulative, u);
      // Not found gives -(insertion point) - 1: the first rank whose cumulative weight exceeds u.
      int rank = found >= 0 ? found : -found - 1;
      return Math.min(rank, cumulative.length - 1);
    }

    @Override
    public String toString() {
      return "zipf(" + exponent + ") over " + keys() + " keys";
    }
  }

  private static void checkKeys(int keys) {
    if (keys < 1 || keys > KEYS_MAX) {
      throw new IllegalArgumentException("keys must be in [1, " + KEYS_MAX + "], got " + keys);
    }
  }
}
