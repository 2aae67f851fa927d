package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.crdt.CausalContext;
import io.meridian.crdt.LwwRegister;
import io.meridian.crdt.Mutation;
import io.meridian.crdt.OrSet;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalReplicaTest {
  @TempDir Path dir;

  private LmdbStore store;
  private LocalReplica replica;

  @BeforeEach
  void open() {
    HybridLogicalClock clock = HybridLogicalClock.system();
    store = StoreFixture.open(dir, clock);
    replica = new LocalReplica(store, new ReplicaId("n1.a"), clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void apply_counterAdds_sumAndPersist() {
    DataKey key = new DataKey(Keyspace.COUNTERS, "c");
    replica.apply(key, new Operation.CounterAdd(5)).join();
    Mutation<?> last = replica.apply(key, new Operation.CounterAdd(-2)).join();
    assertThat(((PnCounter) last.state()).value()).isEqualTo(BigInteger.valueOf(3));
    assertThat(replica.read(key).join())
        .map(s -> ((PnCounter) s).value())
        .hasValue(BigInteger.valueOf(3));
  }

  @Test
  void apply_counterPastLongMax_isRejectedAndValueUnchanged() {
    DataKey key = new DataKey(Keyspace.COUNTERS, "c");
    replica.apply(key, new Operation.CounterAdd(Long.MAX_VALUE)).join();
    assertThatThrownBy(() -> replica.apply(key, new Operation.CounterAdd(1)).join())
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(OperationRejectedException.class);
    assertThat(replica.read(key).join())
        .map(s -> ((PnCounter) s).value())
        .hasValue(BigInteger.valueOf(Long.MAX_VALUE));
  }

  @Test
  void apply_counterBelowLongMin_isRejected() {
    DataKey key = new DataKey(Keyspace.COUNTERS, "c");
    replica.apply(key, new Operation.CounterAdd(Long.MIN_VALUE)).join();
    assertThatThrownBy(() -> replica.apply(key, new Operation.CounterAdd(-1)).join())
        .hasCauseInstanceOf(OperationRejectedException.class);
  }

  @Test
  void apply_setRemoveWithOldContext_keepsTheAddItDidNotSee() {
    DataKey key = new DataKey(Keyspace.SETS, "s");
    OrSet seen = (OrSet) replica.apply(key, addOnly("a")).join().state();
    replica.apply(key, addOnly("a")).join();
    replica
        .apply(key, new Operation.SetUpdate(List.of(), List.of("a"), Optional.of(seen.context())))
        .join();
    assertThat(((OrSet) replica.read(key).join().orElseThrow()).elements()).containsExactly("a");
  }

  @Test
  void apply_setRemoveWithoutContext_removesEverythingObserved() {
    DataKey key = new DataKey(Keyspace.SETS, "s");
    replica.apply(key, addOnly("a")).join();
    replica.apply(key, addOnly("b")).join();
    Mutation<?> removed =
        replica
            .apply(key, new Operation.SetUpdate(List.of(), List.of("a"), Optional.empty()))
            .join();
    assertThat(((OrSet) removed.state()).elements()).containsExactly("b");
  }

  @Test
  void apply_setClearWithEmptyContext_removesNothing() {
    DataKey key = new DataKey(Keyspace.SETS, "s");
    replica.apply(key, addOnly("a")).join();
    Mutation<?> cleared =
        replica.apply(key, new Operation.SetClear(Optional.of(CausalContext.empty()))).join();
    assertThat(((OrSet) cleared.state()).elements()).containsExactly("a");
  }

  @Test
  void apply_registerWrites_laterTimestampWins() {
    DataKey key = new DataKey(Keyspace.KEYS, "k");
    LwwRegister first =
        (LwwRegister)
            replica
                .apply(key, new Operation.RegisterPut("one".getBytes(), "text/plain"))
                .join()
                .delta();
    LwwRegister second =
        (LwwRegister)
            replica
                .apply(key, new Operation.RegisterPut("two".getBytes(), "text/plain"))
                .join()
                .delta();
    assertThat(second.timestamp()).isGreaterThan(first.timestamp());
    LwwRegister stored = (LwwRegister) replica.read(key).join().orElseThrow();
    assertThat(new String(stored.value())).isEqualTo("two");
    LwwRegister deleted =
        (LwwRegister) replica.apply(key, new Operation.RegisterDelete()).join().state();
    assertThat(deleted.isTombstone()).isTrue();
  }

  @Test
  void merge_sameDeltaTwice_changesNothingTheSecondTime() {
    DataKey key = new DataKey(Keyspace.COUNTERS, "c");
    PnCounter delta = PnCounter.empty().add(new ReplicaId("n2.b"), 7).delta();
    Object once = replica.merge(key, delta).join();
    Object twice = replica.merge(key, delta).join();
    assertThat(twice).isEqualTo(once);
    assertThat(((PnCounter) replica.read(key).join().orElseThrow()).value())
        .isEqualTo(BigInteger.valueOf(7));
  }

  @Test
  void read_neverWrittenKey_isEmpty() {
    assertThat(replica.read(new DataKey(Keyspace.SETS, "nothing")).join()).isEmpty();
  }

  private static Operation.SetUpdate addOnly(String element) {
    return new Operation.SetUpdate(List.of(element), List.of(), Optional.empty());
  }
}
