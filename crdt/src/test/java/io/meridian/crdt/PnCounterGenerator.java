package io.meridian.crdt;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Random adds in [-5, 5], zero included, and now and then {@code Long.MIN_VALUE} or {@code
 * Long.MAX_VALUE} on a replica whose entry in that half is still zero, so it cannot overflow.
 */
public final class PnCounterGenerator implements OperationGenerator<PnCounter> {
  @Override
  public Class<PnCounter> type() {
    return PnCounter.class;
  }

  @Override
  public PnCounter empty() {
    return PnCounter.empty();
  }

  @Override
  public Mutation<PnCounter> apply(
      SplittableRandom random, ReplicaId replica, PnCounter state, List<PnCounter> observed) {
    int kind = random.nextInt(20);
    if (kind == 0 && state.decrements().get(replica) == 0) {
      return state.add(replica, Long.MIN_VALUE);
    }
    if (kind == 1 && state.increments().get(replica) == 0) {
      return state.add(replica, Long.MAX_VALUE);
    }
    return state.add(replica, random.nextInt(11) - 5L);
  }
}
