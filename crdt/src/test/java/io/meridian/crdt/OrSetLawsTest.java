package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OrSetLawsTest implements CrdtLawsContract<OrSet> {
  /** Seeds that once failed; they run on every build. */
  static final List<Long> REGRESSION_SEEDS = List.of();

  @Override
  public OperationGenerator<OrSet> generator() {
    return new OrSetGenerator();
  }

  @Override
  public List<Long> regressionSeeds() {
    return REGRESSION_SEEDS;
  }

  /**
   * From any two replica states of a random history: one adds x while the other concurrently
   * removes it; after exchanging deltas both hold x.
   */
  @Test
  void add_concurrentWithRemove_wins() {
    checkLaw(
        "add_concurrentWithRemove_wins",
        history -> {
          SplittableRandom random = history.checkRandom();
          int i = random.nextInt(history.replicas().size());
          int j =
              (i + 1 + random.nextInt(history.replicas().size() - 1)) % history.replicas().size();
          OrSet left = history.finalStates().get(i);
          OrSet right = history.finalStates().get(j);
          if (random.nextBoolean()) { // often, both sides saw each other first
            left = left.join(right);
            right = left;
          }
          String x = OrSetGenerator.ELEMENTS.get(random.nextInt(OrSetGenerator.ELEMENTS.size()));
          Mutation<OrSet> add = left.add(history.replicas().get(i), x);
          Mutation<OrSet> remove = right.remove(x);
          OrSet leftAfter = add.state().join(remove.delta());
          OrSet rightAfter = remove.state().join(add.delta());
          assertThat(leftAfter.contains(x)).as("x at the adder").isTrue();
          assertThat(rightAfter.contains(x)).as("x at the remover").isTrue();
          assertThat(add.state().join(remove.state()).contains(x)).as("x after full sync").isTrue();
        });
  }

  /**
   * A remove carrying a context captured before an add (at any replica, delivered later or made
   * locally) keeps that add, now and after every replica has converged.
   */
  @Test
  void removeObserved_withContextBeforeAdd_keepsAdd() {
    checkLaw(
        "removeObserved_withContextBeforeAdd_keepsAdd",
        history -> {
          SplittableRandom random = history.checkRandom();
          List<ReplicaId> replicas = history.replicas();
          int adder = random.nextInt(replicas.size());
          int remover = random.nextInt(replicas.size());
          OrSet atRemover = history.finalStates().get(remover);
          CausalContext stale = atRemover.context(); // the client reads here
          String x = OrSetGenerator.ELEMENTS.get(random.nextInt(OrSetGenerator.ELEMENTS.size()));
          Mutation<OrSet> add = history.finalStates().get(adder).add(replicas.get(adder), x);
          OrSet remoteAfterAdd = atRemover.join(add.delta()); // the add reaches the remover
          Mutation<OrSet> remove = remoteAfterAdd.removeObserved(List.of(x), stale);
          assertThat(remove.state().contains(x)).as("x at the remover").isTrue();
          OrSet converged = history.converged().join(add.delta()).join(remove.delta());
          assertThat(converged.contains(x)).as("x after convergence").isTrue();
          Mutation<OrSet> fresh =
              remove.state().removeObserved(List.of(x), remove.state().context());
          assertThat(fresh.state().contains(x)).as("x after a remove that saw it").isFalse();
        });
  }

  /** Only elements that some operation added can be present after convergence. */
  @Test
  void converged_holdsOnlyAddedElements() {
    checkLaw(
        "converged_holdsOnlyAddedElements",
        history -> {
          for (String element : history.converged().elements()) {
            assertThat(history.deltas()).anyMatch(delta -> delta.dotStore().containsKey(element));
          }
        });
  }
}
