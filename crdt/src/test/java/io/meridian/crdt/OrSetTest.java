package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrSetTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  private static Dot dot(ReplicaId replica, long counter) {
    return new Dot(replica, counter);
  }

  @Test
  void add_makesElementPresentWithOneDot() {
    Mutation<OrSet> mutation = OrSet.empty().add(A, "x");
    assertThat(mutation.state().elements()).containsExactly("x");
    assertThat(mutation.state().dotStore()).containsExactly(Map.entry("x", Set.of(dot(A, 1))));
    assertThat(mutation.delta()).isEqualTo(mutation.state());
  }

  @Test
  void add_deltaHoldsOnlyTheAddedElement() {
    OrSet set = OrSet.empty().addAll(A, List.of("p", "q", "r")).state();
    Mutation<OrSet> mutation = set.add(A, "s");
    assertThat(mutation.delta().elements()).containsExactly("s");
    assertThat(mutation.delta().context()).isEqualTo(CausalContext.of(List.of(dot(A, 4))));
  }

  @Test
  void add_existingElement_replacesItsDotsWithOneFreshDot() {
    OrSet left = OrSet.empty().add(A, "x").state();
    OrSet both = left.join(OrSet.empty().add(B, "x").state());
    assertThat(both.dotStore().get("x")).containsExactlyInAnyOrder(dot(A, 1), dot(B, 1));

    Mutation<OrSet> readd = both.add(A, "x");
    assertThat(readd.state().dotStore().get("x")).containsExactly(dot(A, 2));
    assertThat(readd.delta().context())
        .isEqualTo(CausalContext.of(List.of(dot(A, 1), dot(A, 2), dot(B, 1))));
    assertThat(left.join(readd.delta()).dotStore().get("x")).containsExactly(dot(A, 2));
  }

  @Test
  void addAll_makesOneDeltaWithConsecutiveDots() {
    Mutation<OrSet> mutation = OrSet.empty().addAll(A, List.of("y", "x", "y"));
    assertThat(mutation.state().elements()).containsExactly("x", "y");
    assertThat(mutation.state().dotStore())
        .containsExactly(Map.entry("x", Set.of(dot(A, 1))), Map.entry("y", Set.of(dot(A, 2))));
    assertThat(mutation.state().context().versionVector()).containsExactly(Map.entry(A, 2L));
  }

  @Test
  void addAll_nothing_yieldsEmptyDelta() {
    OrSet set = OrSet.empty().add(A, "x").state();
    Mutation<OrSet> mutation = set.addAll(A, List.of());
    assertThat(mutation.state()).isSameAs(set);
    assertThat(mutation.delta().isEmpty()).isTrue();
  }

  @Test
  void remove_observedElement_removesItAndKeepsItsDotsInContext() {
    OrSet set = OrSet.empty().addAll(A, List.of("x", "y")).state();
    Mutation<OrSet> mutation = set.remove("x");
    assertThat(mutation.state().elements()).containsExactly("y");
    assertThat(mutation.state().context()).isEqualTo(set.context());
    assertThat(mutation.delta().dotStore()).isEmpty();
    assertThat(mutation.delta().context()).isEqualTo(CausalContext.of(List.of(dot(A, 1))));
  }

  @Test
  void remove_absentElement_yieldsEmptyDelta() {
    OrSet set = OrSet.empty().add(A, "x").state();
    Mutation<OrSet> mutation = set.remove("nope");
    assertThat(mutation.state()).isSameAs(set);
    assertThat(mutation.delta().isEmpty()).isTrue();
  }

  @Test
  void remove_afterConcurrentAdd_keepsElement() {
    OrSet shared = OrSet.empty().add(A, "x").state();
    Mutation<OrSet> add = shared.add(B, "x");
    Mutation<OrSet> remove = shared.remove("x");
    assertThat(remove.state().join(add.delta()).contains("x")).isTrue();
    assertThat(add.state().join(remove.delta()).contains("x")).isTrue();
    assertThat(add.state().join(remove.delta())).isEqualTo(remove.state().join(add.delta()));
  }

  @Test
  void remove_thenJoinWithStateThatStillHasIt_staysRemoved() {
    OrSet original = OrSet.empty().add(A, "x").state();
    OrSet removed = original.remove("x").state();
    assertThat(removed.join(original).contains("x")).isFalse();
    assertThat(original.join(removed).contains("x")).isFalse();
  }

  @Test
  void removeObserved_contextBeforeAdd_keepsTheAdd() {
    OrSet first = OrSet.empty().add(A, "x").state();
    CausalContext seenByClient = first.context();
    OrSet later = first.join(OrSet.empty().add(B, "x").state());
    Mutation<OrSet> mutation = later.removeObserved(List.of("x"), seenByClient);
    assertThat(mutation.state().dotStore().get("x")).containsExactly(dot(B, 1));
    assertThat(mutation.delta().context()).isEqualTo(seenByClient);
  }

  @Test
  void removeObserved_currentContext_removes() {
    OrSet set = OrSet.empty().addAll(A, List.of("x", "y")).state();
    OrSet removed = set.removeObserved(List.of("x"), set.context()).state();
    assertThat(removed.elements()).containsExactly("y");
  }

  @Test
  void clear_removesEveryElementButKeepsContext() {
    OrSet set = OrSet.empty().addAll(A, List.of("x", "y")).state();
    Mutation<OrSet> mutation = set.clear();
    assertThat(mutation.state().elements()).isEmpty();
    assertThat(mutation.state().size()).isZero();
    assertThat(mutation.state().isEmpty()).isFalse();
    assertThat(mutation.state().context()).isEqualTo(set.context());
    assertThat(set.join(mutation.delta())).isEqualTo(mutation.state());
  }

  @Test
  void clear_concurrentAdd_survives() {
    OrSet shared = OrSet.empty().add(A, "x").state();
    Mutation<OrSet> add = shared.add(B, "y");
    OrSet cleared = shared.clear().state();
    assertThat(cleared.join(add.delta()).elements()).containsExactly("y");
  }

  @Test
  void clearObserved_keepsAddsTheContextMissed() {
    OrSet first = OrSet.empty().add(A, "x").state();
    CausalContext seen = first.context();
    OrSet later = first.add(A, "y").state();
    assertThat(later.clearObserved(seen).state().elements()).containsExactly("y");
    assertThat(later.clearObserved(CausalContext.empty()).state()).isSameAs(later);
  }

  @Test
  void removedElements_leaveNoTombstones() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      many.add("element-" + i);
    }
    OrSet set = OrSet.empty().addAll(A, many).state().removeAll(many).state();
    assertThat(set.dotStore()).isEmpty();
    assertThat(set.context().versionVector()).containsExactly(Map.entry(A, 1000L));
    assertThat(set.context().dotCloud()).isEmpty();
    assertThat(CrdtCodec.encode(set)).hasSizeLessThan(16);
  }

  @Test
  void join_redeliveredDelta_returnsSameInstance() {
    Mutation<OrSet> mutation = OrSet.empty().addAll(A, List.of("x", "y")).state().add(B, "z");
    assertThat(mutation.state().join(mutation.delta())).isSameAs(mutation.state());
    assertThat(mutation.delta().join(mutation.state())).isSameAs(mutation.state());
  }

  @Test
  void join_smallDeltaIntoLargeState_sharesUntouchedDotSets() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add("e" + i);
    }
    OrSet large = OrSet.empty().addAll(A, many).state();
    OrSet delta = OrSet.empty().add(B, "new").delta();
    OrSet joined = large.join(delta);
    assertThat(joined.size()).isEqualTo(101);
    assertThat(joined.dotStore().get("e42")).isSameAs(large.dotStore().get("e42"));
  }

  @Test
  void elements_areSortedAndUnmodifiable() {
    OrSet set = OrSet.empty().addAll(A, List.of("b", "a", "c")).state();
    assertThat(set.elements()).containsExactly("a", "b", "c");
    assertThat(set.contains("b")).isTrue();
    assertThatThrownBy(() -> set.elements().add("d"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> set.dotStore().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void add_invalidElement_isRejected() {
    assertThatThrownBy(() -> OrSet.empty().add(A, "bad\uD800"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OrSet.empty().add(A, null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void equals_isByDotStoreAndContext() {
    OrSet one = OrSet.empty().add(A, "x").state().join(OrSet.empty().add(B, "y").state());
    OrSet other = OrSet.empty().add(B, "y").state().join(OrSet.empty().add(A, "x").state());
    assertThat(one).isEqualTo(other).hasSameHashCodeAs(other);
    OrSet removed = one.remove("x").state();
    assertThat(removed.elements()).isEqualTo(OrSet.empty().add(B, "y").state().elements());
    assertThat(removed).isNotEqualTo(OrSet.empty().add(B, "y").state());
  }
}
