package io.meridian.replication.strong;

import static io.meridian.replication.strong.PlacementAgreement.SEEDS_GRACE_MILLIS;
import static io.meridian.replication.strong.PlacementAgreement.SETTLE_MILLIS;
import static io.meridian.replication.strong.PlacementAgreement.mayPropose;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.impl.MemberImpl;
import java.net.UnknownHostException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PlacementAgreementTest {
  @Test
  void mayPropose_threeSettledMembersAndEverySeed_proposes() {
    assertThat(mayPropose(3, SETTLE_MILLIS, 0, SETTLE_MILLIS)).isTrue();
  }

  @Test
  void mayPropose_fewerThanThreeMembers_waits() {
    assertThat(mayPropose(2, SEEDS_GRACE_MILLIS, 0, SEEDS_GRACE_MILLIS)).isFalse();
  }

  @Test
  void mayPropose_membersStillChanging_waits() {
    assertThat(mayPropose(3, SETTLE_MILLIS - 1, 0, SEEDS_GRACE_MILLIS)).isFalse();
  }

  @Test
  void mayPropose_seedsOfOtherRegionsNotJoinedYet_waits() {
    // Three nodes of the first region have settled; six seeds (the other regions) are starting.
    assertThat(mayPropose(3, 10_000, 6, 20_000)).isFalse();
  }

  @Test
  void mayPropose_seedThatNeverJoins_proposesAfterTheGrace() {
    assertThat(mayPropose(8, SETTLE_MILLIS, 1, SEEDS_GRACE_MILLIS - 1)).isFalse();
    assertThat(mayPropose(8, SETTLE_MILLIS, 1, SEEDS_GRACE_MILLIS)).isTrue();
  }

  @Test
  void missingSeeds_seedsByAddressOrName_areMatchedToMembers() throws UnknownHostException {
    List<Member> members = List.of(member("127.0.0.1", 5701), member("127.0.0.1", 5702));
    List<String> seeds = List.of("127.0.0.1:5701", "localhost:5702", "127.0.0.1:5703");

    assertThat(PlacementAgreement.missingSeeds(seeds, members)).containsExactly("127.0.0.1:5703");
  }

  @Test
  void missingSeeds_noSeeds_noneMissing() throws UnknownHostException {
    assertThat(PlacementAgreement.missingSeeds(List.of(), List.of(member("127.0.0.1", 5701))))
        .isEmpty();
  }

  private static Member member(String host, int port) throws UnknownHostException {
    return new MemberImpl.Builder(new Address(host, port)).uuid(UUID.randomUUID()).build();
  }
}
