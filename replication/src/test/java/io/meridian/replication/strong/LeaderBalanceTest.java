package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.proto.RaftProtos.LeaderInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class LeaderBalanceTest {
  private static final RaftPeerId N2 = RaftPeerId.valueOf("n2");
  private static final RaftPeerId N3 = RaftPeerId.valueOf("n3");

  @Test
  void aRespondingFollowerWithEveryCommittedEntry_isCaughtUp() {
    RoleInfoProto leader = leaderOf(follower("n2", 20), follower("n3", 40));

    assertThat(LeaderBalance.caughtUp(leader, new long[] {100, 90}, N2, 100)).isTrue();
    assertThat(LeaderBalance.caughtUp(leader, new long[] {100, 90}, N3, 100)).isFalse();
    assertThat(LeaderBalance.caughtUp(leader, new long[] {90, 100}, N3, 100)).isTrue();
  }

  @Test
  void aFollowerThatHasNotAnsweredForASecond_isNot() {
    RoleInfoProto leader = leaderOf(follower("n2", 1_500), follower("n3", 40));

    assertThat(LeaderBalance.caughtUp(leader, new long[] {100, 100}, N2, 100)).isFalse();
  }

  @Test
  void readingsFromDifferentLeaderships_areNotTrusted() {
    RoleInfoProto leader = leaderOf(follower("n2", 20), follower("n3", 40));
    RoleInfoProto follower = RoleInfoProto.newBuilder().build();

    assertThat(LeaderBalance.caughtUp(leader, null, N2, 100)).isFalse();
    assertThat(LeaderBalance.caughtUp(leader, new long[] {100}, N2, 100)).isFalse();
    assertThat(LeaderBalance.caughtUp(follower, new long[] {100, 100}, N2, 100)).isFalse();
    assertThat(LeaderBalance.caughtUp(leader, new long[] {100, 100}, RaftPeerId.valueOf("n9"), 1))
        .isFalse();
  }

  private static RoleInfoProto leaderOf(ServerRpcProto... followers) {
    LeaderInfoProto.Builder info = LeaderInfoProto.newBuilder();
    for (ServerRpcProto follower : followers) {
      info.addFollowerInfo(follower);
    }
    return RoleInfoProto.newBuilder().setLeaderInfo(info).build();
  }

  private static ServerRpcProto follower(String id, long lastRpcElapsedMs) {
    return ServerRpcProto.newBuilder()
        .setId(RaftPeerProto.newBuilder().setId(ByteString.copyFromUtf8(id)))
        .setLastRpcElapsedTimeMs(lastRpcElapsedMs)
        .build();
  }
}
