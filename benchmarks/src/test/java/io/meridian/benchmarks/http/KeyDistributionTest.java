package io.meridian.benchmarks.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KeyDistributionTest {
  private static final int DRAWS = 200_000;

  private static int[] histogram(KeyDistribution distribution, long seed) {
    var random = new SplittableRandom(seed);
    int[] counts = new int[distribution.keys()];
    for (int i = 0; i < DRAWS; i++) {
      counts[distribution.next(random)]++;
    }
    return counts;
  }

  @Test
  void uniform_coversWholeRange() {
    int[] counts = histogram(new KeyDistribution.Uniform(100), 1);

    // 2,000 expected per key; a uniform draw strays far less than a quarter of that.
    assertThat(IntStream.of(counts).min().getAsInt()).isGreaterThanOrEqualTo(1_500);
    assertThat(IntStream.of(counts).max().getAsInt()).isLessThanOrEqualTo(2_500);
  }

  @Test
  void zipf_rankZeroIsMostFrequent() {
    int[] counts = histogram(new KeyDistribution.Zipf(1_000, 0.99), 1);

    int hottest =
        IntStream.range(0, counts.length)
            .reduce((a, b) -> counts[a] >= counts[b] ? a : b)
            .getAsInt();
    assertThat(hottest).isZero();
    assertThat(counts[0]).isGreaterThan(counts[1]);
    assertThat(counts[1]).isGreaterThan(counts[10]);
    assertThat(counts[10]).isGreaterThan(counts[500]);
  }

  @Test
  void zipf_rankZeroFrequency_matchesLaw() {
    int keys = 1_000;
    double exponent = 0.99;
    double harmonic = IntStream.rangeClosed(1, keys).mapToDouble(k -> Math.pow(k, -exponent)).sum();

    int[] counts = histogram(new KeyDistribution.Zipf(keys, exponent), 7);

    assertThat((double) counts[0] / DRAWS).isCloseTo(1 / harmonic, offset(0.005));
  }

  @Test
  void zipf_sameSeed_drawsSameSequence() {
    var zipf = new KeyDistribution.Zipf(10_000, 0.99);
    var first = new SplittableRandom(42);
    var second = new SplittableRandom(42);
    var other = new SplittableRandom(43);

    int[] a = IntStream.range(0, 1_000).map(i -> zipf.next(first)).toArray();
    int[] b = IntStream.range(0, 1_000).map(i -> zipf.next(second)).toArray();
    int[] c = IntStream.range(0, 1_000).map(i -> zipf.next(other)).toArray();

    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void zipf_staysInRange() {
    assertThat(histogram(new KeyDistribution.Zipf(1, 0.99), 3)).containsExactly(DRAWS);
    int[] counts = histogram(new KeyDistribution.Zipf(50, 2.5), 3);
    assertThat(IntStream.of(counts).sum()).isEqualTo(DRAWS);
  }

  @Test
  void zipf_nonPositiveExponent_isRejected() {
    assertThatThrownBy(() -> new KeyDistribution.Zipf(10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exponent");
    assertThatThrownBy(() -> new KeyDistribution.Zipf(10, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keys_outOfRange_areRejected() {
    assertThatThrownBy(() -> new KeyDistribution.Uniform(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keys");
    assertThatThrownBy(() -> new KeyDistribution.Zipf(KeyDistribution.KEYS_MAX + 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
