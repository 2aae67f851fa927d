package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GCounterTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  @Test
  void increment_addsToOwnEntry() {
    GCounter counter = GCounter.empty().increment(A, 3).state().increment(A, 4).state();
    assertThat(counter.get(A)).isEqualTo(7);
    assertThat(counter.get(B)).isZero();
    assertThat(counter.value()).isEqualTo(BigInteger.valueOf(7));
  }

  @Test
  void increment_deltaIsTheUpdatedEntryOnly() {
    GCounter counter = GCounter.empty().increment(B, 10).state();
    Mutation<GCounter> mutation = counter.increment(A, 2);
    assertThat(mutation.delta().entries()).containsExactly(Map.entry(A, 2L));
    assertThat(counter.join(mutation.delta())).isEqualTo(mutation.state());
  }

  @Test
  void increment_zero_yieldsEmptyDeltaAndSameState() {
    GCounter counter = GCounter.empty().increment(A, 1).state();
    Mutation<GCounter> mutation = counter.increment(A, 0);
    assertThat(mutation.state()).isSameAs(counter);
    assertThat(mutation.delta().isEmpty()).isTrue();
  }

  @Test
  void increment_negative_isRejected() {
    assertThatThrownBy(() -> GCounter.empty().increment(A, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void increment_pastLongMaxValue_throwsArithmeticException() {
    GCounter full = GCounter.empty().increment(A, Long.MAX_VALUE).state();
    assertThat(full.get(A)).isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(() -> full.increment(A, 1)).isInstanceOf(ArithmeticException.class);
    assertThat(full.increment(B, 1).state().get(B)).isEqualTo(1);
  }

  @Test
  void value_beyond64Bits_isExact() {
    GCounter counter =
        GCounter.empty().increment(A, Long.MAX_VALUE).state().increment(B, Long.MAX_VALUE).state();
    assertThat(counter.value())
        .isEqualTo(BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.TWO));
  }

  @Test
  void join_isPointwiseMaximum() {
    GCounter left = GCounter.empty().increment(A, 5).state().increment(B, 1).state();
    GCounter right = GCounter.empty().increment(A, 2).state().increment(B, 9).state();
    GCounter joined = left.join(right);
    assertThat(joined.entries()).containsExactly(Map.entry(A, 5L), Map.entry(B, 9L));
    assertThat(joined.value()).isEqualTo(BigInteger.valueOf(14));
  }

  @Test
  void join_withIncludedCounter_returnsSameInstance() {
    GCounter big = GCounter.empty().increment(A, 5).state().increment(B, 1).state();
    GCounter small = GCounter.empty().increment(A, 5).state();
    assertThat(big.join(small)).isSameAs(big);
    assertThat(small.join(big)).isSameAs(big);
  }

  @Test
  void entries_areSortedAndUnmodifiable() {
    GCounter counter = GCounter.empty().increment(B, 1).state().increment(A, 2).state();
    assertThat(counter.entries().keySet()).containsExactly(A, B);
    assertThatThrownBy(() -> counter.entries().put(A, 1L))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void equals_isByValue() {
    GCounter one = GCounter.empty().increment(A, 1).state().increment(B, 2).state();
    GCounter other = GCounter.empty().increment(B, 2).state().increment(A, 1).state();
    assertThat(one).isEqualTo(other).hasSameHashCodeAs(other).hasToString("GCounter{a=1, b=2}");
  }
}
