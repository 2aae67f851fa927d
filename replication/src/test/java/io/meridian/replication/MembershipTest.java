package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.config.MeridianConfig;
import org.junit.jupiter.api.Test;

class MembershipTest {
  private static final MeridianConfig.FailureDetector DETECTOR =
      new MeridianConfig.FailureDetector(8.0, 60_000, 500, 0, 100);
  private final Member self = new Member("n1", "r1", "127.0.0.1:8080");
  private final Member peer = new Member("n2", "r1", "127.0.0.1:8081");
  private final Membership membership = new Membership(self, 16, DETECTOR);

  @Test
  void aPeerThatLeft_isDown_withASuspicionThatRisesWithItsSilence() {
    membership.memberJoined(peer);
    for (long now = 0; now <= 5_000; now += 500) {
      membership.heartbeatFrom("n2", now);
    }
    membership.memberLeft("n2");

    assertThat(membership.status("n2", 5_500)).isEqualTo(MemberStatus.DOWN);
    double soon = membership.phi("n2", 6_000);
    double later = membership.phi("n2", 30_000);
    assertThat(later).isGreaterThan(soon).isGreaterThan(DETECTOR.phiThreshold());
  }

  @Test
  void aPeerThatReturns_isJudgedAfresh() {
    membership.memberJoined(peer);
    membership.heartbeatFrom("n2", 0);
    membership.memberLeft("n2");
    membership.memberJoined(peer);

    assertThat(membership.phi("n2", 60_000)).isZero();
    membership.heartbeatFrom("n2", 60_000);
    assertThat(membership.status("n2", 60_100)).isEqualTo(MemberStatus.UP);
  }
}
