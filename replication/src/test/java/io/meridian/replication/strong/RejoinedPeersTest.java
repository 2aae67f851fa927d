package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.impl.MemberImpl;
import io.meridian.replication.HazelcastCluster;
import java.lang.reflect.Proxy;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

class RejoinedPeersTest {
  private final List<RaftPeerId> reconnected = new ArrayList<>();
  private final RejoinedPeers listener = new RejoinedPeers("n1", Runnable::run, reconnected::add);

  @Test
  void aRaftPeerThatJoins_isReconnectedTo() throws Exception {
    listener.memberAdded(added(member("n2", "127.0.0.1:9802")));

    assertThat(reconnected).containsExactly(RaftPeerId.valueOf("n2"));
  }

  @Test
  void thisNodeAndMembersWithoutRaft_areLeftAlone() throws Exception {
    listener.memberAdded(added(member("n1", "127.0.0.1:9801")));
    listener.memberAdded(added(member("n3", null)));
    listener.memberAdded(added(member(null, null)));
    listener.memberRemoved(removed(member("n2", "127.0.0.1:9802")));

    assertThat(reconnected).isEmpty();
  }

  @Test
  void aJoinWhileClosing_isIgnored() throws Exception {
    RejoinedPeers closing =
        new RejoinedPeers(
            "n1",
            task -> {
              throw new RejectedExecutionException("shut down");
            },
            reconnected::add);

    assertThatCode(() -> closing.memberAdded(added(member("n2", "127.0.0.1:9802"))))
        .doesNotThrowAnyException();
    assertThat(reconnected).isEmpty();
  }

  private static Member member(String id, String raft) throws UnknownHostException {
    Map<String, String> attributes = new HashMap<>();
    if (id != null) {
      attributes.put(HazelcastCluster.ID_ATTRIBUTE, id);
    }
    if (raft != null) {
      attributes.put(HazelcastCluster.RAFT_ATTRIBUTE, raft);
    }
    return new MemberImpl.Builder(new Address("127.0.0.1", 5701))
        .uuid(UUID.randomUUID())
        .attributes(attributes)
        .build();
  }

  private static MembershipEvent added(Member member) {
    return new MembershipEvent(cluster(), member, MembershipEvent.MEMBER_ADDED, Set.of(member));
  }

  private static MembershipEvent removed(Member member) {
    return new MembershipEvent(cluster(), member, MembershipEvent.MEMBER_REMOVED, Set.of());
  }

  /** A membership event needs a source; nothing here calls it. */
  private static Cluster cluster() {
    return (Cluster)
        Proxy.newProxyInstance(
            Cluster.class.getClassLoader(),
            new Class<?>[] {Cluster.class},
            (proxy, method, args) -> {
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
