package io.meridian.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Merkle trees over the token space of each keyspace, kept up to date as writes commit, so that two
 * replicas can find the keys on which they differ by comparing a few hashes top-down instead of
 * shipping every key (Merkle, 1987; as Dynamo and Cassandra use them for anti-entropy).
 *
 * <p>Shape: a fixed tree of fan-out 16 and {@value #LEVELS} levels below the root over the 64-bit
 * token space, so a leaf covers 1/65,536 of the tokens. A node's hash is the XOR of the hashes of
 * the keys under it, and a key's hash is a 64-bit MurmurHash3 of its stored (deterministic)
 * encoding: equal states hash equal on every replica. XOR makes maintenance incremental and order
 * free — a committed change of one key XORs {@code old ^ new} into the {@value #LEVELS} + 1 nodes
 * on its path, whatever order concurrent commits arrive in. A ring range is compared by descending
 * through the nodes it covers fully and always opening the (at most two per level) nodes it only
 * partly covers; at the leaves, key digests of the range are exchanged.
 *
 * <p>Thread-safe: the storage writer updates, protocol code reads. A reader racing a writer may see
 * a transient difference, which only costs a little extra comparison.
 */
public final class MerkleIndex {
  /** Levels below the root. */
  public static final int LEVELS = 4;

  /** Children per node. */
  public static final int FAN_OUT = 16;

  private static final int BITS_PER_LEVEL = 4;

  private final Map<Keyspace, AtomicLongArray[]> trees = new EnumMap<>(Keyspace.class);

  public MerkleIndex() {
    for (Keyspace keyspace : Keyspace.values()) {
      AtomicLongArray[] levels = new AtomicLongArray[LEVELS + 1];
      for (int level = 0; level <= LEVELS; level++) {
        levels[level] = new AtomicLongArray(1 << (BITS_PER_LEVEL * level));
      }
      trees.put(keyspace, levels);
    }
  }

  /** Forgets every hash, before the trees are rebuilt from storage. */
  public void clear() {
    for (AtomicLongArray[] levels : trees.values()) {
      for (AtomicLongArray level : levels) {
        for (int i = 0; i < level.length(); i++) {
          level.set(i, 0);
        }
      }
    }
  }

  /** The hash a key with this stored payload contributes; 0 for an absent key. */
  public static long keyHash(byte[] storedPayload) {
    return MurmurHash3.hash128x64(storedPayload)[0];
  }

  /** Records that a key's stored hash changed from {@code oldHash} to {@code newHash}. */
  public void update(Keyspace keyspace, long token, long oldHash, long newHash) {
    long change = oldHash ^ newHash;
    if (change == 0) {
      return;
    }
    AtomicLongArray[] levels = trees.get(keyspace);
    long position = unsigned(token);
    for (int level = 0; level <= LEVELS; level++) {
      int index = (int) (level == 0 ? 0 : position >>> (64 - BITS_PER_LEVEL * level));
      xor(levels[level], index, change);
    }
  }

  /**
   * Sets a leaf to {@code hash} (recomputed from storage after a value was quarantined, when the
   * hash it contributed is unknown) and corrects its ancestors.
   */
  public void resetLeaf(Keyspace keyspace, int leaf, long hash) {
    AtomicLongArray[] levels = trees.get(keyspace);
    long change = levels[LEVELS].get(leaf) ^ hash;
    if (change == 0) {
      return;
    }
    long position = unsigned(firstToken(LEVELS, leaf));
    for (int level = 0; level <= LEVELS; level++) {
      int index = (int) (level == 0 ? 0 : position >>> (64 - BITS_PER_LEVEL * level));
      xor(levels[level], index, change);
    }
  }

  /** The hash of the node at {@code index} (0-based, left to right) of {@code level}. */
  public long hash(Keyspace keyspace, int level, int index) {
    return trees.get(keyspace)[level].get(index);
  }

  /** The first token of the node at {@code index} of {@code level}. */
  public static long firstToken(int level, int index) {
    return signed(level == 0 ? 0 : (long) index << (64 - BITS_PER_LEVEL * level));
  }

  /** The last token of the node at {@code index} of {@code level}. */
  public static long lastToken(int level, int index) {
    if (level == 0) {
      return Long.MAX_VALUE;
    }
    long width = 1L << (64 - BITS_PER_LEVEL * level);
    return signed(((long) index << (64 - BITS_PER_LEVEL * level)) + width - 1);
  }

  /** The leaf holding {@code token}. */
  public static int leafOf(long token) {
    return (int) (unsigned(token) >>> (64 - BITS_PER_LEVEL * LEVELS));
  }

  private static void xor(AtomicLongArray array, int index, long change) {
    long current;
    do {
      current = array.get(index);
    } while (!array.compareAndSet(index, current, current ^ change));
  }

  /** Tokens are signed; tree positions count from the smallest token (sign bit flipped). */
  private static long unsigned(long token) {
    return token ^ Long.MIN_VALUE;
  }

  private static long signed(long position) {
    return position ^ Long.MIN_VALUE;
  }
}
