package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;

class LmdbStoreTest {
  @TempDir Path dir;

  @Test
  void update_manyConcurrent_allCommitInFewerTransactions() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (LmdbStore store =
        LmdbStore.open(dir, StoreFixture.storageConfig(), HybridLogicalClock.system(), registry)) {
      List<CompletableFuture<Long>> futures = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        futures.add(store.update(Table.DATA, bytes("counter"), StoreLongs::increment));
      }
      List<Long> results = futures.stream().map(CompletableFuture::join).sorted().toList();
      assertThat(results).first().isEqualTo(1L);
      assertThat(results).last().isEqualTo(2_000L);
      assertThat(store.get(Table.DATA, bytes("counter")).join())
          .map(StoreLongs::decode)
          .hasValue(2_000L);
      var batches = registry.find("meridian.storage.batch.mutations").summary();
      assertThat(batches.totalAmount()).isEqualTo(2_000);
      assertThat(batches.count()).isLessThan(2_000);
    }
  }

  @Test
  void update_ofATableNotSyncedOnCommit_commitsWithoutTheSync_andSurvivesReopen() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    HybridLogicalClock clock = HybridLogicalClock.system();
    try (LmdbStore store = LmdbStore.open(dir, StoreFixture.storageConfig(), clock, registry)) {
      var syncs = registry.find("meridian.storage.syncs").counter();
      assertThat(store.update(Table.STRONG, bytes("s"), StoreLongs::increment).join())
          .isEqualTo(1L);
      assertThat(store.get(Table.STRONG, bytes("s")).join()).map(StoreLongs::decode).hasValue(1L);
      assertThat(syncs.count()).isZero();

      assertThat(store.update(Table.DATA, bytes("d"), StoreLongs::increment).join()).isEqualTo(1L);
      assertThat(syncs.count()).isEqualTo(1);

      store.update(Table.STRONG, bytes("s"), StoreLongs::increment).join();
      clock.now();
      store.update(Table.STRONG, bytes("s"), StoreLongs::increment).join();
      assertThat(syncs.count()).as("a commit holding a new clock high-water mark").isEqualTo(2);
    }
    assertStrongCounterAfterReopen(3L);
  }

  @Test
  void updates_ofATableNotSyncedOnCommit_areAppliedAsTheyArrive_andCompleteAtTheCheckpoint()
      throws InterruptedException {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CompletableFuture<Long> first;
    CompletableFuture<Long> second;
    try (LmdbStore store = openWithCheckpointIntervalOfAnHour(registry)) {
      CountDownLatch applied = new CountDownLatch(2);
      StoreUpdate<Long> increment =
          current -> {
            applied.countDown();
            return StoreLongs.increment(current);
          };
      first = store.update(Table.STRONG, bytes("s"), increment);
      second = store.update(Table.STRONG, bytes("s"), increment);
      assertThat(applied.await(30, TimeUnit.SECONDS)).as("both applied").isTrue();
      assertThat(first).as("waits for its checkpoint").isNotDone();
      assertThat(second).isNotDone();
      assertThat(store.get(Table.STRONG, bytes("s")).join()).as("not committed yet").isEmpty();

      assertThat(store.update(Table.DATA, bytes("d"), StoreLongs::increment).join())
          .as("a synced update completes once logged")
          .isEqualTo(1L);
      assertThat(store.get(Table.DATA, bytes("d")).join()).map(StoreLongs::decode).hasValue(1L);
      assertThat(first).as("still waits for the checkpoint").isNotDone();
      assertThat(registry.find("meridian.storage.syncs").counter().count()).isEqualTo(1);
      assertThat(registry.find("meridian.storage.checkpoints").timer().count()).isZero();
    }
    assertThat(first.join()).isEqualTo(1L);
    assertThat(second.join()).isEqualTo(2L);
    assertStrongCounterAfterReopen(2L);
  }

  @Test
  void updates_acknowledgedButNotCheckpointed_areReadable_andSurviveACrash() throws IOException {
    try (LmdbStore store = StoreFixture.open(dir)) {
      store.update(Table.DATA, bytes("gone"), StoreLongs::increment).join();
      store.update(Table.DATA, bytes("kept"), StoreLongs::increment).join();
    }
    Path crashed = dir.resolve("crashed");
    try (LmdbStore store = openWithCheckpointIntervalOfAnHour(new SimpleMeterRegistry())) {
      for (int i = 0; i < 100; i++) {
        store.update(Table.DATA, bytes("k" + i), StoreLongs::increment).join();
      }
      store.update(Table.DATA, bytes("kept"), StoreLongs::increment).join();
      store.update(Table.DATA, bytes("gone"), current -> StoreUpdate.Outcome.delete(0L)).join();
      assertThat(store.get(Table.DATA, bytes("kept")).join()).map(StoreLongs::decode).hasValue(2L);
      assertThat(store.get(Table.DATA, bytes("gone")).join()).isEmpty();
      // What a process crash leaves: the environment as of its last commit, and the log.
      copyStoreFiles(dir, crashed);
    }
    try (LmdbStore recovered = StoreFixture.open(crashed)) {
      for (int i = 0; i < 100; i++) {
        assertThat(recovered.get(Table.DATA, bytes("k" + i)).join())
            .map(StoreLongs::decode)
            .hasValue(1L);
      }
      assertThat(recovered.get(Table.DATA, bytes("kept")).join())
          .map(StoreLongs::decode)
          .hasValue(2L);
      assertThat(recovered.get(Table.DATA, bytes("gone")).join()).isEmpty();
      assertThat(recovered.update(Table.DATA, bytes("kept"), StoreLongs::increment).join())
          .isEqualTo(3L);
    }
    try (LmdbStore reopened = StoreFixture.open(crashed)) {
      assertThat(reopened.get(Table.DATA, bytes("kept")).join())
          .as("the replayed log is not replayed again over later writes")
          .map(StoreLongs::decode)
          .hasValue(3L);
    }
  }

  @Test
  void open_ofANewEnvironmentBesideAnOldLog_doesNotReplayIt() throws IOException {
    Path wiped = dir.resolve("wiped");
    try (LmdbStore store = openWithCheckpointIntervalOfAnHour(new SimpleMeterRegistry())) {
      store.update(Table.DATA, bytes("old"), StoreLongs::increment).join();
      Files.createDirectories(wiped.resolve(LmdbStore.STORE_DIRECTORY));
      Files.copy(
          dir.resolve(LmdbStore.STORE_DIRECTORY).resolve("wal"),
          wiped.resolve(LmdbStore.STORE_DIRECTORY).resolve("wal"));
    }
    try (LmdbStore fresh = StoreFixture.open(wiped)) {
      assertThat(fresh.get(Table.DATA, bytes("old")).join()).isEmpty();
    }
  }

  @Test
  void scan_laysUncheckpointedWritesAndDeletesOverTheCommittedEntries() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      for (String key : List.of("a", "c", "e", "g")) {
        store.update(Table.DATA, bytes(key), StoreLongs::increment).join();
      }
    }
    try (LmdbStore store = openWithCheckpointIntervalOfAnHour(new SimpleMeterRegistry())) {
      store.update(Table.DATA, bytes("b"), StoreLongs::increment).join();
      store.update(Table.DATA, bytes("c"), current -> StoreUpdate.Outcome.delete(0L)).join();
      store.update(Table.DATA, bytes("e"), StoreLongs::increment).join();
      store.update(Table.DATA, bytes("h"), StoreLongs::increment).join();

      List<Store.Entry> all = store.scan(Table.DATA, bytes("a"), bytes("z"), 100).join();
      assertThat(all.stream().map(e -> new String(e.key(), UTF_8)))
          .containsExactly("a", "b", "e", "g", "h");
      assertThat(all.stream().map(e -> StoreLongs.decode(e.value())))
          .containsExactly(1L, 1L, 2L, 1L, 1L);
      List<Store.Entry> page = store.scan(Table.DATA, bytes("b"), bytes("h"), 2).join();
      assertThat(page.stream().map(e -> new String(e.key(), UTF_8))).containsExactly("b", "e");
    }
  }

  private static void copyStoreFiles(Path from, Path to) throws IOException {
    Path target = to.resolve(LmdbStore.STORE_DIRECTORY);
    Files.createDirectories(target);
    for (String file : List.of("data.mdb", "wal")) {
      Files.copy(from.resolve(LmdbStore.STORE_DIRECTORY).resolve(file), target.resolve(file));
    }
  }

  @Test
  void close_commitsAnOpenTransactionOfUnsyncedUpdates() {
    CompletableFuture<Long> pending;
    try (LmdbStore store = openWithCheckpointIntervalOfAnHour(new SimpleMeterRegistry())) {
      pending = store.update(Table.STRONG, bytes("s"), StoreLongs::increment);
    }
    assertThat(pending.join()).isEqualTo(1L);
    assertStrongCounterAfterReopen(1L);
  }

  /** An interval far longer than any test: only close checkpoints. */
  private LmdbStore openWithCheckpointIntervalOfAnHour(SimpleMeterRegistry registry) {
    return LmdbStore.open(
        dir,
        StoreFixture.storageConfig(),
        HybridLogicalClock.system(),
        Duration.ofHours(1),
        registry);
  }

  private void assertStrongCounterAfterReopen(long expected) {
    try (LmdbStore reopened = StoreFixture.open(dir)) {
      assertThat(reopened.get(Table.STRONG, bytes("s")).join())
          .map(StoreLongs::decode)
          .hasValue(expected);
    }
  }

  @Test
  void update_thatThrows_failsAloneAndWritesNothing() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      CompletableFuture<Long> before = store.update(Table.DATA, bytes("a"), StoreLongs::increment);
      CompletableFuture<Long> failing =
          store.update(
              Table.DATA,
              bytes("b"),
              current -> {
                throw new IllegalStateException("refused");
              });
      CompletableFuture<Long> after = store.update(Table.DATA, bytes("c"), StoreLongs::increment);
      assertThat(before.join()).isEqualTo(1L);
      assertThat(after.join()).isEqualTo(1L);
      assertThatThrownBy(failing::join).hasCauseInstanceOf(IllegalStateException.class);
      assertThat(store.get(Table.DATA, bytes("b")).join()).isEmpty();
    }
  }

  @Test
  void update_acknowledged_survivesReopen() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      for (int i = 0; i < 10; i++) {
        store.update(Table.DATA, bytes("k"), StoreLongs::increment).join();
      }
    }
    try (LmdbStore store = StoreFixture.open(dir)) {
      assertThat(store.get(Table.DATA, bytes("k")).join()).map(StoreLongs::decode).hasValue(10L);
    }
  }

  @Test
  void open_restoresClockAboveEveryTimestampUsedInACommit() {
    HybridLogicalClock first = new HybridLogicalClock(() -> 50_000);
    long issued;
    try (LmdbStore store = StoreFixture.open(dir, first)) {
      issued =
          store
              .update(
                  Table.DATA,
                  bytes("k"),
                  current -> StoreUpdate.Outcome.write(bytes("v"), first.now()))
              .join();
    }
    // The restarted node's wall clock is far behind the old one.
    HybridLogicalClock restarted = new HybridLogicalClock(() -> 1_000);
    try (LmdbStore store = StoreFixture.open(dir, restarted)) {
      assertThat(restarted.now()).isGreaterThan(issued);
    }
  }

  @Test
  void get_valueWithFlippedByte_isReportedCorruptNotServed() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      store
          .update(Table.DATA, bytes("k"), c -> StoreUpdate.Outcome.write(bytes("hello"), 0))
          .join();
    }
    try (Env<byte[]> env = rawEnv()) {
      Dbi<byte[]> data = env.openDbi(Table.DATA.dbName());
      try (Txn<byte[]> txn = env.txnWrite()) {
        byte[] value = data.get(txn, bytes("k")).clone();
        value[value.length - 1] ^= 0x01;
        data.put(txn, bytes("k"), value);
        txn.commit();
      }
    }
    try (LmdbStore store = StoreFixture.open(dir)) {
      assertThatThrownBy(() -> store.get(Table.DATA, bytes("k")).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOfSatisfying(
              StoreException.class,
              e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT));
    }
  }

  @Test
  void open_directoryWithForeignFiles_isRefused() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "not a store");
    assertThatThrownBy(() -> StoreFixture.open(dir))
        .isInstanceOfSatisfying(
            StoreException.class,
            e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INCOMPATIBLE))
        .hasMessageContaining("not a Meridian data directory");
  }

  @Test
  void open_aStoreThatIsOpen_isRefused_untilItCloses() {
    LmdbStore first = StoreFixture.open(dir);
    try {
      assertThatThrownBy(() -> StoreFixture.open(dir))
          .isInstanceOfSatisfying(
              StoreException.class,
              e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.IN_USE))
          .hasMessageContaining("in use by another running node");
      first.update(Table.DATA, bytes("k"), StoreLongs::increment).join();
    } finally {
      first.close();
    }
    try (LmdbStore second = StoreFixture.open(dir)) {
      assertThat(second.get(Table.DATA, bytes("k")).join()).isPresent();
    }
  }

  @Test
  void open_storeOfANewerFormat_isRefused() {
    StoreFixture.open(dir).close();
    try (Env<byte[]> env = rawEnv()) {
      Dbi<byte[]> meta = env.openDbi(Table.META.dbName());
      try (Txn<byte[]> txn = env.txnWrite()) {
        meta.put(
            txn,
            bytes("store.format"),
            ValueFrame.wrap(ByteBuffer.allocate(8).putLong(99).array()));
        txn.commit();
      }
    }
    assertThatThrownBy(() -> StoreFixture.open(dir))
        .isInstanceOfSatisfying(
            StoreException.class,
            e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INCOMPATIBLE))
        .hasMessageContaining("newer");
  }

  @Test
  void getNow_readsWhatGetDoes_checkpointedOrNot_andRefusesOnceClosed() {
    LmdbStore store = openWithCheckpointIntervalOfAnHour(new SimpleMeterRegistry());
    try {
      store.update(Table.DATA, bytes("k"), StoreLongs::increment).join();
      assertThat(store.getNow(Table.DATA, bytes("k"))).map(StoreLongs::decode).hasValue(1L);
      assertThat(store.getNow(Table.DATA, bytes("missing"))).isEmpty();
      store.update(Table.DATA, bytes("k"), current -> StoreUpdate.Outcome.delete(0L)).join();
      assertThat(store.getNow(Table.DATA, bytes("k"))).isEmpty();
    } finally {
      store.close();
    }
    assertThatThrownBy(() -> store.getNow(Table.DATA, bytes("k")))
        .isInstanceOfSatisfying(
            StoreException.class,
            e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CLOSED));
  }

  @Test
  void update_afterClose_failsAsClosed() {
    LmdbStore store = StoreFixture.open(dir);
    store.close();
    assertThatThrownBy(() -> store.update(Table.DATA, bytes("k"), StoreLongs::increment).join())
        .cause()
        .isInstanceOfSatisfying(
            StoreException.class,
            e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CLOSED));
  }

  @Test
  void update_whenMapIsFull_failsAsFullAndAcknowledgesNothing() {
    var small = new io.meridian.core.config.MeridianConfig.Storage(16, 64, 1000);
    try (LmdbStore store =
        LmdbStore.open(dir, small, HybridLogicalClock.system(), new SimpleMeterRegistry())) {
      byte[] big = new byte[64 * 1024];
      StoreException full = null;
      List<String> acknowledged = new ArrayList<>();
      for (int i = 0; i < 1_000 && full == null; i++) {
        String key = "k" + i;
        try {
          store.update(Table.DATA, bytes(key), c -> StoreUpdate.Outcome.write(big, 0)).join();
          acknowledged.add(key);
        } catch (CompletionException e) {
          full = (StoreException) e.getCause();
        }
      }
      assertThat(full).isNotNull();
      assertThat(full.reason()).isEqualTo(StoreException.Reason.FULL);
      for (String key : acknowledged) {
        assertThat(store.get(Table.DATA, bytes(key)).join()).isPresent();
      }
      // Still serving: a small write to an existing key fits in freed pages after aborting.
      assertThat(store.get(Table.DATA, bytes(acknowledged.get(0))).join()).isPresent();
    }
  }

  @Test
  void scan_returnsEntriesInUnsignedKeyOrderWithinTheRange() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      for (int b : new int[] {0x01, 0x7F, 0x80, 0xFE}) {
        byte[] key = {(byte) b, 0x00};
        store
            .update(Table.HINTS, key, c -> StoreUpdate.Outcome.write(new byte[] {(byte) b}, 0))
            .join();
      }
      List<Store.Entry> entries =
          store.scan(Table.HINTS, new byte[] {0x7F}, new byte[] {(byte) 0xFF}, 10).join();
      assertThat(entries).extracting(e -> e.value()[0] & 0xFF).containsExactly(0x7F, 0x80, 0xFE);
      assertThat(store.scan(Table.HINTS, new byte[] {0x00}, new byte[] {(byte) 0xFF}, 2).join())
          .hasSize(2);
    }
  }

  @Test
  void update_delete_removesTheValue() {
    try (LmdbStore store = StoreFixture.open(dir)) {
      store.update(Table.HINTS, bytes("h"), c -> StoreUpdate.Outcome.write(bytes("x"), 0)).join();
      store.update(Table.HINTS, bytes("h"), c -> StoreUpdate.Outcome.delete(0)).join();
      assertThat(store.get(Table.HINTS, bytes("h")).join()).isEmpty();
    }
  }

  private Env<byte[]> rawEnv() {
    return Env.create(ByteArrayProxy.PROXY_BA)
        .setMaxDbs(Table.values().length)
        .setMapSize(1L << 30)
        .open(dir.resolve(LmdbStore.STORE_DIRECTORY).toFile());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  /** A tiny stored counter used to observe serialisation of updates. */
  private static final class StoreLongs {
    static StoreUpdate.Outcome<Long> increment(Optional<byte[]> current) {
      long next = current.map(StoreLongs::decode).orElse(0L) + 1;
      return StoreUpdate.Outcome.write(ByteBuffer.allocate(8).putLong(next).array(), next);
    }

    static long decode(byte[] bytes) {
      return ByteBuffer.wrap(bytes).getLong();
    }
  }
}
