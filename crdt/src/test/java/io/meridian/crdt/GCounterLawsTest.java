package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class GCounterLawsTest implements CrdtLawsContract<GCounter> {
  /** Seeds that once failed; they run on every build. */
  static final List<Long> REGRESSION_SEEDS = List.of();

  @Override
  public OperationGenerator<GCounter> generator() {
    return new GCounterGenerator();
  }

  @Override
  public List<Long> regressionSeeds() {
    return REGRESSION_SEEDS;
  }

  /** No increment is lost or counted twice, however the deltas travelled. */
  @Test
  void value_afterConvergence_equalsSumOfIncrements() {
    checkLaw(
        "value_afterConvergence_equalsSumOfIncrements",
        history -> {
          BigInteger sum = BigInteger.ZERO;
          for (OperationHistory.Step<GCounter> step : history.steps()) {
            sum = sum.add(step.mutation().state().value().subtract(step.before().value()));
          }
          assertThat(history.converged().value()).isEqualTo(sum);
        });
  }
}
