package io.meridian.replication.strong;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.meridian.replication.HazelcastCluster;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * Has this node's Raft server reconnect at once to a Raft peer that joins the cluster membership,
 * the first sign that a restarted peer is back.
 *
 * <p>Why: while a peer is down, each gRPC channel to it fails its connection attempts and waits out
 * an exponential backoff (about 1 s, then 1.6 times longer each time, up to two minutes) before the
 * next, and until then every RPC on it fails at once. So a peer back after ten seconds stayed
 * unreachable from the others for seconds more while it could reach them: in {@code StrongKeysIT}
 * the survivor that needed the restarted peer's vote lost every election for 3–4 s, and writes to a
 * group resumed 6.6 s after its leader was killed instead of under 3 s. A fresh channel connects at
 * once.
 *
 * <p>Membership events arrive on a Hazelcast thread; the reconnect runs on {@code executor}.
 */
final class RejoinedPeers implements MembershipListener {
  private final String selfId;
  private final Executor executor;
  private final Consumer<RaftPeerId> reconnect;

  RejoinedPeers(String selfId, Executor executor, Consumer<RaftPeerId> reconnect) {
    this.selfId = selfId;
    this.executor = executor;
    this.reconnect = reconnect;
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    Member member = event.getMember();
    String id = member.getAttribute(HazelcastCluster.ID_ATTRIBUTE);
    if (id == null
        || id.equals(selfId)
        || member.getAttribute(HazelcastCluster.RAFT_ATTRIBUTE) == null) {
      return;
    }
    try {
      executor.execute(() -> reconnect.accept(RaftPeerId.valueOf(id)));
    } catch (RejectedExecutionException e) {
      // closing: nothing to reconnect
    }
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    // A peer that left keeps its channels: they reconnect by themselves if it comes back in time.
  }
}
