package io.meridian.core;

import io.meridian.crdt.Crdt;
import io.meridian.crdt.LwwRegister;
import io.meridian.crdt.Mutation;
import io.meridian.crdt.OrSet;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * This node's copy of every CRDT key it replicates: turns client operations into deltas under this
 * node's replica id, joins deltas that arrive from other replicas, and reads states — each change
 * committed durably before its future completes.
 *
 * <p>Operations and joins run inside the storage writer's transaction ({@link StoreUpdate}), so the
 * read-modify-write of a key is atomic without locks and many of them share one fsync.
 */
public final class LocalReplica {
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private static final int SCAN_BATCH = 4096;

  private final Store store;
  private final ReplicaId self;
  private final HybridLogicalClock clock;
  private final MerkleIndex merkle = new MerkleIndex();
  private final Set<DataKey> quarantined = ConcurrentHashMap.newKeySet();
  private volatile Consumer<DataKey> quarantineListener = key -> {};

  public LocalReplica(Store store, ReplicaId self, HybridLogicalClock clock) {
    this.store = store;
    this.self = self;
    this.clock = clock;
  }

  /**
   * Called (on a storage thread) with every key whose stored value failed its checksum and was
   * quarantined; the listener should restore the key from other replicas, then {@link
   * #clearQuarantine}.
   */
  public void onQuarantine(Consumer<DataKey> listener) {
    this.quarantineListener = listener;
  }

  /** The key was restored from the other replicas (or none had it): writes may resume. */
  public void clearQuarantine(DataKey key) {
    quarantined.remove(key);
  }

  public boolean isQuarantined(DataKey key) {
    return quarantined.contains(key);
  }

  /** The Merkle trees over this replica's keys, current as of the last commit. */
  public MerkleIndex merkle() {
    return merkle;
  }

  /**
   * Builds the Merkle trees from what is stored, at start-up before any write; afterwards they are
   * maintained incrementally as writes commit.
   */
  public CompletableFuture<Long> loadMerkle() {
    merkle.clear();
    return loadMerkleFrom(new byte[] {0}, 0);
  }

  private CompletableFuture<Long> loadMerkleFrom(byte[] from, long loaded) {
    return store
        .scan(Table.DATA, from, new byte[] {(byte) 0xFF}, SCAN_BATCH)
        .thenCompose(
            entries -> {
              for (Store.Entry entry : entries) {
                if (entry.corrupt()) {
                  quarantine(entry.key());
                } else {
                  merkle.update(
                      DataKey.keyspaceOf(entry.key()),
                      DataKey.tokenOfStorageKey(entry.key()),
                      0,
                      MerkleIndex.keyHash(entry.value()));
                }
              }
              long total = loaded + entries.size();
              if (entries.size() < SCAN_BATCH) {
                return CompletableFuture.completedFuture(total);
              }
              byte[] last = entries.get(entries.size() - 1).key();
              return loadMerkleFrom(Arrays.copyOf(last, last.length + 1), total);
            });
  }

  /**
   * The digests (key, hash of its stored state) of this replica's keys of {@code keyspace} with
   * tokens in {@code [fromToken, toToken]}, in token order, at most {@code limit}.
   */
  public CompletableFuture<List<KeyDigest>> digests(
      Keyspace keyspace, long fromToken, long toToken, int limit) {
    return store
        .scan(
            Table.DATA,
            DataKey.storageKeyFrom(keyspace, fromToken),
            DataKey.storageKeyAfter(keyspace, toToken),
            limit)
        .thenApply(
            entries -> {
              List<KeyDigest> digests = new ArrayList<>(entries.size());
              for (Store.Entry entry : entries) {
                if (entry.corrupt()) {
                  quarantine(entry.key());
                  continue;
                }
                digests.add(
                    new KeyDigest(
                        new DataKey(keyspace, StoredState.decodeKey(entry.value())),
                        MerkleIndex.keyHash(entry.value())));
              }
              return digests;
            });
  }

  /** A key and the hash of its stored state on one replica. */
  public record KeyDigest(DataKey key, long hash) {}

  /** The replica id this node writes its dots and counter entries under. */
  public ReplicaId replicaId() {
    return self;
  }

  /**
   * Applies a client operation as the coordinating replica.
   *
   * @return the new state and the delta to ship to other replicas, after a durable commit; fails
   *     with {@link OperationRejectedException} if the operation does not fit the current state
   */
  public CompletableFuture<Mutation<?>> apply(DataKey key, Operation operation) {
    if (operation.keyspace() != key.keyspace()) {
      throw new IllegalArgumentException(operation + " does not apply to " + key);
    }
    if (quarantined.contains(key)) {
      return CompletableFuture.failedFuture(repairing(key));
    }
    StoreUpdate<Change<Mutation<?>>> update =
        current -> {
          Mutation<?> mutation = mutate(decodeOrEmpty(key, current), operation);
          byte[] stored = StoredState.encode(key, mutation.state());
          return StoreUpdate.Outcome.write(stored, new Change<>(mutation, current, stored));
        };
    CompletableFuture<Mutation<?>> applied =
        store.update(Table.DATA, key.storageKey(), update).thenApply(c -> committed(key, c));
    return applied.exceptionallyCompose(failure -> quarantineIfCorrupt(key, failure, true));
  }

  /** What an update did to a key's stored bytes, so the Merkle tree can follow after commit. */
  private record Change<R>(R result, Optional<byte[]> before, byte[] after) {}

  /**
   * Runs on the storage writer right after the commit. The Merkle update is two hashes of the
   * stored bytes (which the writer has just encoded) and five XORs: cheaper in place than a
   * hand-off to another thread, whose wake-up per key cost the writer more than the work itself.
   */
  private <R> R committed(DataKey key, Change<R> change) {
    byte[] after = change.after();
    if (after != null) {
      merkle.update(
          key.keyspace(),
          key.token(),
          change.before().map(MerkleIndex::keyHash).orElse(0L),
          MerkleIndex.keyHash(after));
    }
    return change.result();
  }

  /**
   * Joins a delta (or a full state) received from another replica into this node's copy.
   *
   * @return the state after the join; nothing is written when the delta adds nothing
   */
  public CompletableFuture<Crdt<?>> merge(DataKey key, Crdt<?> delta) {
    StoreUpdate<Change<Crdt<?>>> update =
        current -> {
          Crdt<?> state = decodeOrEmpty(key, current);
          if (delta instanceof LwwRegister register && !register.isEmpty()) {
            clock.observe(register.timestamp());
          }
          Crdt<?> joined = Crdt.join(state, delta);
          if (current.isPresent() && joined.equals(state)) {
            return StoreUpdate.Outcome.unchanged(new Change<>(state, current, null));
          }
          byte[] stored = StoredState.encode(key, joined);
          return StoreUpdate.Outcome.write(stored, new Change<>(joined, current, stored));
        };
    CompletableFuture<Crdt<?>> merged =
        store.update(Table.DATA, key.storageKey(), update).thenApply(c -> committed(key, c));
    return merged.exceptionallyCompose(
        failure ->
            corrupt(failure)
                ? quarantine(key.storageKey()).thenCompose(moved -> merge(key, delta))
                : CompletableFuture.failedFuture(failure));
  }

  /** This node's committed state of {@code key}, if it was ever written. */
  public CompletableFuture<Optional<Crdt<?>>> read(DataKey key) {
    if (quarantined.contains(key)) {
      // Its copy here was lost to corruption: "absent" would be a lie until it is restored.
      return CompletableFuture.failedFuture(repairing(key));
    }
    return store
        .get(Table.DATA, key.storageKey())
        .thenApply(value -> value.<Crdt<?>>map(bytes -> StoredState.decode(key, bytes)))
        .exceptionallyCompose(failure -> quarantineIfCorrupt(key, failure, false));
  }

  private static boolean corrupt(Throwable failure) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    return cause instanceof StoreException store && store.reason() == StoreException.Reason.CORRUPT;
  }

  /**
   * A corrupt stored value is never served: it is moved aside and the key is restored from the
   * other replicas; until then the key refuses writes, since writing on top of a lost state would
   * reuse dots and counter entries this replica already handed out.
   */
  private <T> CompletableFuture<T> quarantineIfCorrupt(
      DataKey key, Throwable failure, boolean write) {
    if (!corrupt(failure)) {
      return CompletableFuture.failedFuture(failure);
    }
    return quarantine(key.storageKey())
        .thenCompose(moved -> CompletableFuture.failedFuture(write ? repairing(key) : failure));
  }

  private CompletableFuture<Boolean> quarantine(byte[] storageKey) {
    Keyspace keyspace = DataKey.keyspaceOf(storageKey);
    long token = DataKey.tokenOfStorageKey(storageKey);
    Optional<DataKey> key = DataKey.fromStorageKey(storageKey);
    key.ifPresent(quarantined::add);
    return store
        .quarantine(Table.DATA, storageKey)
        .thenCompose(
            moved -> recomputeLeaf(keyspace, MerkleIndex.leafOf(token)).thenApply(h -> moved))
        .whenComplete(
            (moved, failure) -> {
              if (failure == null && moved) {
                key.ifPresent(quarantineListener);
              }
            });
  }

  /** Recomputes one Merkle leaf from storage, after it lost a value of unknown hash. */
  private CompletableFuture<Long> recomputeLeaf(Keyspace keyspace, int leaf) {
    return store
        .scan(
            Table.DATA,
            DataKey.storageKeyFrom(keyspace, MerkleIndex.firstToken(MerkleIndex.LEVELS, leaf)),
            DataKey.storageKeyAfter(keyspace, MerkleIndex.lastToken(MerkleIndex.LEVELS, leaf)),
            Integer.MAX_VALUE)
        .thenApply(
            entries -> {
              long hash = 0;
              for (Store.Entry entry : entries) {
                if (!entry.corrupt()) {
                  hash ^= MerkleIndex.keyHash(entry.value());
                }
              }
              merkle.resetLeaf(keyspace, leaf, hash);
              return hash;
            });
  }

  private static StoreException repairing(DataKey key) {
    return new StoreException(
        StoreException.Reason.REPAIRING,
        key + " had a corrupt stored value and is being restored from other replicas; retry");
  }

  /** The bottom element of a keyspace's lattice: what a never-written key holds. */
  public static Crdt<?> empty(Keyspace keyspace) {
    return switch (keyspace) {
      case KEYS -> LwwRegister.empty();
      case COUNTERS -> PnCounter.empty();
      case SETS -> OrSet.empty();
    };
  }

  private static Crdt<?> decodeOrEmpty(DataKey key, Optional<byte[]> current) {
    Crdt<?> state =
        current.<Crdt<?>>map(bytes -> StoredState.decode(key, bytes)).orElse(empty(key.keyspace()));
    if (state.getClass() != empty(key.keyspace()).getClass()) {
      throw new StoreException(
          StoreException.Reason.CORRUPT, key + " holds a " + state.getClass().getSimpleName());
    }
    return state;
  }

  private Mutation<?> mutate(Crdt<?> state, Operation operation) {
    if (operation instanceof Operation.CounterAdd add) {
      return addToCounter((PnCounter) state, add.delta());
    }
    if (operation instanceof Operation.SetUpdate update) {
      OrSet set = (OrSet) state;
      Mutation<OrSet> removed =
          update.observed().isPresent()
              ? set.removeObserved(update.remove(), update.observed().get())
              : set.removeAll(update.remove());
      Mutation<OrSet> added = removed.state().addAll(self, update.add());
      return new Mutation<>(added.state(), removed.delta().join(added.delta()));
    }
    if (operation instanceof Operation.SetClear clear) {
      OrSet set = (OrSet) state;
      return clear.observed().isPresent() ? set.clearObserved(clear.observed().get()) : set.clear();
    }
    if (operation instanceof Operation.RegisterPut put) {
      return ((LwwRegister) state).write(clock.now(), self, put.value(), put.contentType());
    }
    if (operation instanceof Operation.RegisterDelete) {
      return ((LwwRegister) state).delete(clock.now(), self);
    }
    throw new IllegalArgumentException("unknown operation " + operation);
  }

  private Mutation<PnCounter> addToCounter(PnCounter counter, long delta) {
    Mutation<PnCounter> mutation;
    try {
      mutation = counter.add(self, delta);
    } catch (ArithmeticException e) {
      // The value may be in range: a PN-counter keeps each replica's increments and decrements in
      // two growing totals (unsigned 64-bit), and it is one of those that would pass 2^64 - 1.
      throw new OperationRejectedException(
          OperationRejectedException.Reason.COUNTER_OVERFLOW,
          "adding "
              + delta
              + " would take this replica's total of "
              + (delta > 0 ? "increments" : "decrements")
              + " to the counter past 2^64 - 1 (a counter keeps them apart from each other;"
              + " its value is "
              + counter.value()
              + ")");
    }
    BigInteger value = mutation.state().value();
    if (value.compareTo(LONG_MAX) > 0 || value.compareTo(LONG_MIN) < 0) {
      throw overflow(counter.value(), delta);
    }
    return mutation;
  }

  private static OperationRejectedException overflow(BigInteger value, long delta) {
    return new OperationRejectedException(
        OperationRejectedException.Reason.COUNTER_OVERFLOW,
        "adding " + delta + " to " + value + " leaves the 64-bit range");
  }
}
