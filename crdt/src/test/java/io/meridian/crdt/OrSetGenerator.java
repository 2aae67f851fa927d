package io.meridian.crdt;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random adds, bulk adds, removes, observed removes with a context some replica held earlier,
 * clears and observed clears, over a small pool of elements so that operations collide.
 */
public final class OrSetGenerator implements OperationGenerator<OrSet> {
  /** A small pool, with an empty string and non-ASCII elements to exercise the codec. */
  public static final List<String> ELEMENTS =
      List.of("a", "b", "c", "d", "", "ünï", "\uD83D\uDE00");

  @Override
  public Class<OrSet> type() {
    return OrSet.class;
  }

  @Override
  public OrSet empty() {
    return OrSet.empty();
  }

  @Override
  public Mutation<OrSet> apply(
      SplittableRandom random, ReplicaId replica, OrSet state, List<OrSet> observed) {
    int kind = random.nextInt(100);
    if (kind < 35) {
      return state.add(replica, element(random));
    } else if (kind < 50) {
      return state.addAll(replica, elements(random));
    } else if (kind < 70) {
      return state.remove(element(random));
    } else if (kind < 75) {
      return state.removeAll(elements(random));
    } else if (kind < 90) {
      return state.removeObserved(elements(random), pastContext(random, observed));
    } else if (kind < 93) {
      return state.clear();
    } else {
      return state.clearObserved(pastContext(random, observed));
    }
  }

  private static String element(SplittableRandom random) {
    return ELEMENTS.get(random.nextInt(ELEMENTS.size()));
  }

  /** Zero to three elements, duplicates possible. */
  private static List<String> elements(SplittableRandom random) {
    List<String> elements = new ArrayList<>();
    int count = random.nextInt(4);
    for (int i = 0; i < count; i++) {
      elements.add(element(random));
    }
    return elements;
  }

  private static CausalContext pastContext(SplittableRandom random, List<OrSet> observed) {
    return observed.get(random.nextInt(observed.size())).context();
  }
}
