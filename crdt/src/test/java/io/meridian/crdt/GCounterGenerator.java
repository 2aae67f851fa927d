package io.meridian.crdt;

import java.util.List;
import java.util.SplittableRandom;

/** Random increments: mostly small (zero included), sometimes huge, never overflowing. */
public final class GCounterGenerator implements OperationGenerator<GCounter> {
  @Override
  public Class<GCounter> type() {
    return GCounter.class;
  }

  @Override
  public GCounter empty() {
    return GCounter.empty();
  }

  @Override
  public Mutation<GCounter> apply(
      SplittableRandom random, ReplicaId replica, GCounter state, List<GCounter> observed) {
    long headroom = Long.MAX_VALUE - state.get(replica);
    long amount = random.nextInt(10) == 0 ? random.nextLong(headroom / 2 + 1) : random.nextInt(6);
    return state.increment(replica, Math.min(amount, headroom));
  }
}
