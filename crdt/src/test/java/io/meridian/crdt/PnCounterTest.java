package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class PnCounterTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");
  private static final BigInteger TWO_TO_63 = BigInteger.ONE.shiftLeft(63);

  @Test
  void add_positive_goesToIncrements() {
    Mutation<PnCounter> mutation = PnCounter.empty().add(A, 5);
    assertThat(mutation.state().increments().get(A)).isEqualTo(5);
    assertThat(mutation.state().decrements().isEmpty()).isTrue();
    assertThat(mutation.delta()).isEqualTo(mutation.state());
  }

  @Test
  void add_negative_goesToDecrements() {
    PnCounter counter = PnCounter.empty().add(A, 5).state().add(A, -8).state();
    assertThat(counter.increments().get(A)).isEqualTo(5);
    assertThat(counter.decrements().get(A)).isEqualTo(8);
    assertThat(counter.value()).isEqualTo(BigInteger.valueOf(-3));
  }

  @Test
  void add_negative_deltaHoldsOnlyTheDecrementEntry() {
    PnCounter counter = PnCounter.empty().add(A, 5).state();
    Mutation<PnCounter> mutation = counter.add(A, -2);
    assertThat(mutation.delta().increments().isEmpty()).isTrue();
    assertThat(mutation.delta().decrements().get(A)).isEqualTo(2);
    assertThat(counter.join(mutation.delta())).isEqualTo(mutation.state());
  }

  @Test
  void add_longMinValue_works() {
    PnCounter counter = PnCounter.empty().add(A, Long.MIN_VALUE).state();
    assertThat(counter.value()).isEqualTo(BigInteger.valueOf(Long.MIN_VALUE));
    assertThat(counter.decrements().value()).isEqualTo(TWO_TO_63);
    PnCounter decoded = CrdtCodec.decode(CrdtCodec.encode(counter), PnCounter.class);
    assertThat(decoded).isEqualTo(counter);
  }

  @Test
  void add_extremesOnManyReplicas_sumsBeyond64Bits() {
    PnCounter counter =
        PnCounter.empty()
            .add(A, Long.MIN_VALUE)
            .state()
            .add(B, Long.MIN_VALUE)
            .state()
            .add(A, Long.MAX_VALUE)
            .state();
    assertThat(counter.value())
        .isEqualTo(TWO_TO_63.shiftLeft(1).negate().add(BigInteger.valueOf(Long.MAX_VALUE)));
  }

  @Test
  void add_pastUnsigned64BitEntry_throwsArithmeticException() {
    PnCounter counter = PnCounter.empty().add(A, Long.MIN_VALUE).state();
    assertThat(counter.add(A, Long.MIN_VALUE + 1).state().decrements().get(A)).isEqualTo(-1L);
    assertThatThrownBy(() -> counter.add(A, Long.MIN_VALUE))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void add_zero_yieldsEmptyDelta() {
    PnCounter counter = PnCounter.empty().add(A, 1).state();
    Mutation<PnCounter> mutation = counter.add(A, 0);
    assertThat(mutation.state()).isSameAs(counter);
    assertThat(mutation.delta().isEmpty()).isTrue();
  }

  @Test
  void join_concurrentAdds_sumUp() {
    PnCounter base = PnCounter.empty().add(A, 10).state();
    PnCounter left = base.add(A, -3).state();
    PnCounter right = base.join(PnCounter.empty()).add(B, 4).state();
    PnCounter joined = left.join(right);
    assertThat(joined.value()).isEqualTo(BigInteger.valueOf(11));
    assertThat(right.join(left)).isEqualTo(joined);
  }

  @Test
  void join_withIncludedCounter_returnsSameInstance() {
    PnCounter big = PnCounter.empty().add(A, 10).state().add(B, -1).state();
    PnCounter small = PnCounter.empty().add(A, 10).state();
    assertThat(big.join(small)).isSameAs(big);
    assertThat(small.join(big)).isSameAs(big);
  }
}
