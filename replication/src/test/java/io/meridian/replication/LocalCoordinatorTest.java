package io.meridian.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.core.DataKey;
import io.meridian.core.HybridLogicalClock;
import io.meridian.core.InMemoryStore;
import io.meridian.core.Keyspace;
import io.meridian.core.LocalReplica;
import io.meridian.core.Operation;
import io.meridian.core.Table;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.Mutation;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import io.vertx.core.Future;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A node running alone answers as a one-node ring would, without its protocol context. */
class LocalCoordinatorTest {
  private static final DataKey KEY = new DataKey(Keyspace.COUNTERS, "visits");

  private final InMemoryStore store = new InMemoryStore();
  private final LocalReplica replica =
      new LocalReplica(store, new ReplicaId("n1.test"), new HybridLogicalClock(() -> 1_000L));

  private LocalCoordinator coordinator(int n, int w, int r) {
    return new LocalCoordinator(
        replica, new MeridianConfig.Replication(n, w, r, 2_000), new NoProtocol());
  }

  @Test
  void writesAndReadsTheOnlyReplica() {
    LocalCoordinator coordinator = coordinator(1, 1, 1);

    Replicated<Mutation<?>> written =
        done(coordinator.write(KEY, new Operation.CounterAdd(5), Optional.of(Consistency.ALL)));
    Replicated<Optional<Crdt<?>>> read = done(coordinator.read(KEY, Optional.empty()));

    assertEquals(1, written.acked());
    assertEquals(1, written.required());
    assertEquals(BigInteger.valueOf(5), ((PnCounter) read.value().orElseThrow()).value());
    assertEquals(1, read.acked());
  }

  @Test
  void moreReplicasThanTheNodeItselfIsUnavailableAndWritesNothing() {
    LocalCoordinator coordinator = coordinator(3, 1, 1);

    Future<Replicated<Mutation<?>>> quorum =
        coordinator.write(KEY, new Operation.CounterAdd(5), Optional.of(Consistency.QUORUM));
    Future<Replicated<Optional<Crdt<?>>>> all = coordinator.read(KEY, Optional.of(Consistency.ALL));

    ReplicationException refused = assertInstanceOf(ReplicationException.class, quorum.cause());
    assertEquals(ReplicationException.Reason.UNAVAILABLE, refused.reason());
    assertEquals(2, refused.required());
    assertEquals(3, assertInstanceOf(ReplicationException.class, all.cause()).required());
    assertEquals(0, store.size(Table.DATA));
    assertTrue(done(coordinator.read(KEY, Optional.empty())).value().isEmpty());
  }

  private static <T> T done(Future<T> future) {
    assertTrue(future.succeeded(), () -> "failed: " + future.cause());
    return future.result();
  }

  /** The protocol coordinator is only asked for explanations, which these tests do not make. */
  private static final class NoProtocol implements Coordinator {
    @Override
    public Future<Replicated<Mutation<?>>> write(
        DataKey key, Operation operation, Optional<Consistency> consistency) {
      throw new AssertionError("writes must not go through the protocol context");
    }

    @Override
    public Future<Replicated<Optional<Crdt<?>>>> read(
        DataKey key, Optional<Consistency> consistency) {
      throw new AssertionError("reads must not go through the protocol context");
    }

    @Override
    public Future<Replicated<List<ReplicaCopy>>> explain(DataKey key) {
      throw new AssertionError("not asked");
    }
  }
}
