package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LwwRegisterLawsTest implements CrdtLawsContract<LwwRegister> {
  /** Seeds that once failed; they run on every build. */
  static final List<Long> REGRESSION_SEEDS = List.of();

  @Override
  public OperationGenerator<LwwRegister> generator() {
    return new LwwRegisterGenerator();
  }

  @Override
  public List<Long> regressionSeeds() {
    return REGRESSION_SEEDS;
  }

  /** The converged register is one of the writes, and no write has a higher (timestamp, writer). */
  @Test
  void converged_isAWriteWithTheHighestTimestampAndWriter() {
    checkLaw(
        "converged_isAWriteWithTheHighestTimestampAndWriter",
        history -> {
          LwwRegister converged = history.converged();
          assertThat(history.deltas()).contains(converged);
          for (LwwRegister write : history.deltas()) {
            assertThat(write.timestamp()).isLessThanOrEqualTo(converged.timestamp());
            if (write.timestamp() == converged.timestamp()) {
              assertThat(write.writer().orElseThrow())
                  .isLessThanOrEqualTo(converged.writer().orElseThrow());
            }
          }
        });
  }
}
