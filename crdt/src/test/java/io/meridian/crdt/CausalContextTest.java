package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CausalContextTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  private static Dot dot(ReplicaId replica, long counter) {
    return new Dot(replica, counter);
  }

  @Test
  void empty_containsNothing() {
    CausalContext empty = CausalContext.empty();
    assertThat(empty.isEmpty()).isTrue();
    assertThat(empty.contains(dot(A, 1))).isFalse();
    assertThat(empty.nextDot(A)).isEqualTo(dot(A, 1));
  }

  @Test
  void add_contiguousDot_foldsIntoVector() {
    CausalContext context = CausalContext.empty().add(dot(A, 1)).add(dot(A, 2));
    assertThat(context.versionVector()).containsExactly(Map.entry(A, 2L));
    assertThat(context.dotCloud()).isEmpty();
  }

  @Test
  void add_dotAfterGap_staysInCloudUntilGapFills() {
    CausalContext gappy = CausalContext.empty().add(dot(A, 1)).add(dot(A, 3)).add(dot(A, 4));
    assertThat(gappy.versionVector()).containsExactly(Map.entry(A, 1L));
    assertThat(gappy.dotCloud()).containsExactly(dot(A, 3), dot(A, 4));
    assertThat(gappy.contains(dot(A, 2))).isFalse();

    CausalContext filled = gappy.add(dot(A, 2));
    assertThat(filled.versionVector()).containsExactly(Map.entry(A, 4L));
    assertThat(filled.dotCloud()).isEmpty();
  }

  @Test
  void add_seenDot_returnsSameInstance() {
    CausalContext context = CausalContext.of(List.of(dot(A, 1), dot(B, 5)));
    assertThat(context.add(dot(A, 1))).isSameAs(context);
    assertThat(context.add(dot(B, 5))).isSameAs(context);
  }

  @Test
  void nextDot_considersCloud() {
    CausalContext context = CausalContext.of(List.of(dot(A, 1), dot(A, 7)));
    assertThat(context.nextDot(A)).isEqualTo(dot(A, 8));
    assertThat(context.nextDot(B)).isEqualTo(dot(B, 1));
  }

  @Test
  void nextDot_atMaxCounter_throws() {
    CausalContext context = CausalContext.of(List.of(dot(A, Long.MAX_VALUE)));
    assertThatThrownBy(() -> context.nextDot(A)).isInstanceOf(ArithmeticException.class);
  }

  @Test
  void of_maxCounterAfterFullPrefix_compactsWithoutOverflow() {
    CausalContext context = CausalContext.of(List.of(dot(A, Long.MAX_VALUE)));
    assertThat(context.contains(dot(A, Long.MAX_VALUE))).isTrue();
    assertThat(context.contains(dot(A, Long.MAX_VALUE - 1))).isFalse();
  }

  @Test
  void of_anyOrder_equalsRepeatedAdd() {
    List<Dot> dots = List.of(dot(B, 2), dot(A, 3), dot(A, 1), dot(B, 1), dot(A, 2));
    CausalContext added = CausalContext.empty();
    for (Dot d : dots) {
      added = added.add(d);
    }
    assertThat(CausalContext.of(dots)).isEqualTo(added).hasSameHashCodeAs(added);
    assertThat(added.versionVector()).containsExactly(Map.entry(A, 3L), Map.entry(B, 2L));
  }

  @Test
  void join_isUnionAndCompacts() {
    CausalContext left = CausalContext.of(List.of(dot(A, 1), dot(A, 3), dot(B, 2)));
    CausalContext right = CausalContext.of(List.of(dot(A, 2), dot(B, 1)));
    CausalContext joined = left.join(right);
    assertThat(joined.versionVector()).containsExactly(Map.entry(A, 3L), Map.entry(B, 2L));
    assertThat(joined.dotCloud()).isEmpty();
    assertThat(right.join(left)).isEqualTo(joined);
  }

  @Test
  void join_withDominatedContext_returnsSameInstance() {
    CausalContext big = CausalContext.of(List.of(dot(A, 1), dot(A, 2), dot(B, 4)));
    CausalContext small = CausalContext.of(List.of(dot(A, 2), dot(B, 4)));
    assertThat(big.join(small)).isSameAs(big);
    assertThat(small.join(big)).isSameAs(big);
  }

  @Test
  void dominates_comparesVectorAndCloud() {
    CausalContext context = CausalContext.of(List.of(dot(A, 1), dot(A, 2), dot(A, 5)));
    assertThat(context.dominates(CausalContext.of(List.of(dot(A, 1), dot(A, 5))))).isTrue();
    assertThat(context.dominates(CausalContext.of(List.of(dot(A, 3))))).isFalse();
    assertThat(context.dominates(CausalContext.of(List.of(dot(A, 1), dot(A, 2), dot(A, 3)))))
        .isFalse();
    assertThat(context.dominates(CausalContext.empty())).isTrue();
    assertThat(CausalContext.empty().dominates(context)).isFalse();
  }

  @Test
  void views_areUnmodifiable() {
    CausalContext context = CausalContext.of(List.of(dot(A, 1), dot(A, 3)));
    assertThatThrownBy(() -> context.versionVector().put(B, 1L))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> context.dotCloud().add(dot(B, 9)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toString_showsVectorAndCloud() {
    CausalContext context = CausalContext.of(List.of(dot(A, 1), dot(A, 3)));
    assertThat(context).hasToString("{vector={a=1}, cloud=[a:3]}");
  }

  @Test
  void dot_counterBelowOne_isRejected() {
    assertThatThrownBy(() -> dot(A, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void replicaId_invalidValues_areRejected() {
    assertThatThrownBy(() -> ReplicaId.of("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReplicaId.of("x".repeat(256)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReplicaId.of("é".repeat(128))).hasMessageContaining("256 UTF-8 bytes");
    assertThatThrownBy(() -> ReplicaId.of("bad\uD800"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ReplicaId.of("x".repeat(255))).hasToString("x".repeat(255));
    assertThat(ReplicaId.of("a")).isLessThan(ReplicaId.of("b"));
  }
}
