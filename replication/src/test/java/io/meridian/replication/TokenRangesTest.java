package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenRangesTest {
  private static final long MIN = Long.MIN_VALUE;
  private static final long MAX = Long.MAX_VALUE;

  @Test
  void normalized_sortsAndJoinsOverlappingAndAdjacentRanges() {
    assertThat(
            TokenRanges.normalized(
                List.of(r(20, 30), r(0, 9), r(10, 12), r(25, 40), r(50, 60), r(55, MAX))))
        .containsExactly(r(0, 12), r(20, 40), r(50, MAX));
  }

  @Test
  void union_joinsBothSets() {
    assertThat(TokenRanges.union(List.of(r(0, 9), r(30, 40)), List.of(r(10, 20), r(35, 50))))
        .containsExactly(r(0, 20), r(30, 50));
  }

  @Test
  void minus_cutsOutWhatIsTaken_atEveryPosition() {
    List<long[]> from = List.of(r(MIN, -100), r(0, 100), r(200, MAX));
    List<long[]> taken = List.of(r(MIN, -200), r(10, 20), r(90, 210), r(MAX, MAX));

    assertThat(TokenRanges.minus(from, taken))
        .containsExactly(r(-199, -100), r(0, 9), r(21, 89), r(211, MAX - 1));
  }

  @Test
  void minus_ofEverything_isNothing_andOfNothing_isAll() {
    List<long[]> all = List.of(r(MIN, MAX));
    assertThat(TokenRanges.minus(all, all)).isEmpty();
    assertThat(TokenRanges.minus(all, List.of())).containsExactly(r(MIN, MAX));
  }

  @Test
  void within_clipsToTheArc() {
    assertThat(TokenRanges.within(5, 50, List.of(r(0, 10), r(20, 30), r(45, 100))))
        .containsExactly(r(5, 10), r(20, 30), r(45, 50));
  }

  private static long[] r(long first, long last) {
    return new long[] {first, last};
  }
}
