package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * A CRDT key in its keyspace, with its ring token and its LMDB key.
 *
 * <p>The token is the first 64 bits of MurmurHash3 (x64, 128-bit) of the keyspace tag and the key's
 * UTF-8 bytes; it places the key on the consistent-hash ring. The LMDB key is {@code [keyspace
 * tag][token, sign-flipped big-endian][key bytes]}, so one keyspace's keys are stored in token
 * order and a ring range is one contiguous LMDB range. LMDB keys are at most 511 bytes: a key too
 * long to fit keeps its first bytes followed by its SHA-256, which is still unique.
 */
public final class DataKey {
  static final int LMDB_MAX_KEY_BYTES = 511;
  private static final int HEADER_BYTES = 1 + Long.BYTES;
  private static final int DIGEST_BYTES = 32;

  private final Keyspace keyspace;
  private final String key;
  private final byte[] keyBytes;
  private final long token;

  public DataKey(Keyspace keyspace, String key) {
    this.keyspace = Objects.requireNonNull(keyspace, "keyspace");
    this.key = Objects.requireNonNull(key, "key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty");
    }
    this.keyBytes = key.getBytes(UTF_8);
    this.token = tokenOf(keyspace, keyBytes);
  }

  public Keyspace keyspace() {
    return keyspace;
  }

  public String key() {
    return key;
  }

  /** The key's position on the consistent-hash ring. */
  public long token() {
    return token;
  }

  /** The key's UTF-8 bytes (a copy). */
  public byte[] keyBytes() {
    return keyBytes.clone();
  }

  /** The LMDB key under which the key's state is stored in {@link Table#DATA}. */
  public byte[] storageKey() {
    int length = Math.min(HEADER_BYTES + keyBytes.length, LMDB_MAX_KEY_BYTES);
    ByteBuffer buffer = ByteBuffer.allocate(length);
    buffer.put(keyspace.tag()).putLong(token ^ Long.MIN_VALUE);
    if (HEADER_BYTES + keyBytes.length <= LMDB_MAX_KEY_BYTES) {
      buffer.put(keyBytes);
    } else {
      buffer.put(keyBytes, 0, LMDB_MAX_KEY_BYTES - HEADER_BYTES - DIGEST_BYTES);
      buffer.put(sha256(keyBytes));
    }
    return buffer.array();
  }

  /** The first LMDB key of {@code keyspace} at or after {@code token}. */
  public static byte[] storageKeyFrom(Keyspace keyspace, long token) {
    return ByteBuffer.allocate(HEADER_BYTES)
        .put(keyspace.tag())
        .putLong(token ^ Long.MIN_VALUE)
        .array();
  }

  /** The LMDB key just past every key of {@code keyspace} with a token up to {@code token}. */
  public static byte[] storageKeyAfter(Keyspace keyspace, long token) {
    if (token == Long.MAX_VALUE) {
      return new byte[] {(byte) (keyspace.tag() + 1)};
    }
    return storageKeyFrom(keyspace, token + 1);
  }

  /**
   * The key an LMDB key of {@link Table#DATA} stands for, unless the key was too long to be kept
   * whole in it (then only the stored value knows).
   */
  static java.util.Optional<DataKey> fromStorageKey(byte[] storageKey) {
    if (storageKey.length == LMDB_MAX_KEY_BYTES) {
      return java.util.Optional.empty();
    }
    byte[] key = java.util.Arrays.copyOfRange(storageKey, HEADER_BYTES, storageKey.length);
    return java.util.Optional.of(
        new DataKey(
            keyspaceOf(storageKey), new String(key, java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** The keyspace of an LMDB key of {@link Table#DATA}. */
  static Keyspace keyspaceOf(byte[] storageKey) {
    return Keyspace.byTag(storageKey[0]);
  }

  /** The ring token of an LMDB key of {@link Table#DATA}. */
  static long tokenOfStorageKey(byte[] storageKey) {
    return ByteBuffer.wrap(storageKey, 1, Long.BYTES).getLong() ^ Long.MIN_VALUE;
  }

  static long tokenOf(Keyspace keyspace, byte[] keyBytes) {
    byte[] hashed = new byte[keyBytes.length + 1];
    hashed[0] = keyspace.tag();
    System.arraycopy(keyBytes, 0, hashed, 1, keyBytes.length);
    return MurmurHash3.hash128x64(hashed)[0];
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataKey other
        && keyspace == other.keyspace
        && Arrays.equals(keyBytes, other.keyBytes);
  }

  @Override
  public int hashCode() {
    return 31 * keyspace.hashCode() + Arrays.hashCode(keyBytes);
  }

  @Override
  public String toString() {
    return keyspace.pathName() + "/" + key;
  }
}
