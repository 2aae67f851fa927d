package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.replication.ReplicationException;
import org.junit.jupiter.api.Test;

class ProblemsTest {
  private final ReplicationException timeout =
      new ReplicationException(
          ReplicationException.Reason.TIMEOUT, 1, 2, "1 of the 2 replicas required answered");

  @Test
  void aWriteThatTimedOut_saysItMayStillBeApplied() {
    Problems.Problem problem = Problems.toProblem(timeout, true);

    assertThat(problem.status()).isEqualTo(504);
    assertThat(problem.type()).isEqualTo("timeout");
    assertThat(problem.detail()).contains("may still be applied");
  }

  @Test
  void aReadThatTimedOut_saysNothingChanged() {
    Problems.Problem problem = Problems.toProblem(timeout, false);

    assertThat(problem.status()).isEqualTo(504);
    assertThat(problem.detail()).doesNotContain("applied").contains("nothing was changed");
  }
}
