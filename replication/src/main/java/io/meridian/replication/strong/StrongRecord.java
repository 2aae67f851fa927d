package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * How a group's state lives in the {@code strong} LMDB table (DESIGN.md, "Storage layout").
 *
 * <p>Keys start with the group's 16-byte id, so a group is one contiguous range: {@code [group
 * id][0x00]} holds the group's {@link Meta}, {@code [group id][0x01][key UTF-8]} one key's {@link
 * Entry} (a key too long for LMDB's 511-byte limit keeps its first bytes and ends in its SHA-256;
 * the entry carries the whole key, so it is still exact), {@code [group id][0x02][client:8]} one
 * {@link ClientSession}. Entries and sessions together are the group's records, which a snapshot
 * carries.
 *
 * <p>Entry payload: {@code [kind][revision:8][modified at log index:8][key length:4][key]} and, for
 * a value, {@code [content type length:2][content type][bytes]}. A deleted key leaves a tombstone
 * until a snapshot covers it, so a log entry re-applied after a restart can tell that a later write
 * already superseded it ({@link StrongStateMachine}). The store's {@code ValueFrame} adds the
 * format version byte and checksum around it.
 */
final class StrongRecord {
  static final int GROUP_PREFIX_BYTES = 16;
  private static final int LMDB_MAX_KEY_BYTES = 511;
  private static final int DIGEST_BYTES = 32;
  private static final byte META_TAG = 0;
  private static final byte ENTRY_TAG = 1;
  private static final byte SESSION_TAG = 2;
  private static final byte VALUE = 1;
  private static final byte TOMBSTONE = 2;
  private static final byte META = 3;

  private StrongRecord() {}

  /** One key's committed state: a value, or a tombstone left by a delete. */
  record Entry(
      String key,
      long revision,
      long modifiedAt,
      boolean tombstone,
      String contentType,
      byte[] value) {
    Entry {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(value, "value");
    }

    static Entry value(
        String key, long revision, long modifiedAt, String contentType, byte[] value) {
      return new Entry(key, revision, modifiedAt, false, contentType, value);
    }

    static Entry tombstone(String key, long revision, long modifiedAt) {
      return new Entry(key, revision, modifiedAt, true, "", new byte[0]);
    }

    /** The revision a precondition sees: 0 for a tombstone (the key does not exist). */
    long currentRevision() {
      return tombstone ? 0 : revision;
    }
  }

  /**
   * A group's own state: the last revision handed out and the last log entry whose effects are
   * durable here; {@code appliedIndex} is {@link #LOADING} while a snapshot is being loaded.
   */
  record Meta(long revision, long appliedTerm, long appliedIndex) {
    static final long LOADING = -2;
    static final Meta EMPTY = new Meta(0, 0, -1);
  }

  static byte[] metaKey(UUID group) {
    return ByteBuffer.allocate(GROUP_PREFIX_BYTES + 1)
        .putLong(group.getMostSignificantBits())
        .putLong(group.getLeastSignificantBits())
        .put(META_TAG)
        .array();
  }

  static byte[] entryKey(UUID group, String key) {
    byte[] bytes = key.getBytes(UTF_8);
    int header = GROUP_PREFIX_BYTES + 1;
    ByteBuffer buffer = ByteBuffer.allocate(Math.min(header + bytes.length, LMDB_MAX_KEY_BYTES));
    buffer.putLong(group.getMostSignificantBits()).putLong(group.getLeastSignificantBits());
    buffer.put(ENTRY_TAG);
    if (header + bytes.length <= LMDB_MAX_KEY_BYTES) {
      buffer.put(bytes);
    } else {
      buffer.put(bytes, 0, LMDB_MAX_KEY_BYTES - header - DIGEST_BYTES).put(sha256(bytes));
    }
    return buffer.array();
  }

  static byte[] sessionKey(UUID group, long client) {
    return ByteBuffer.allocate(GROUP_PREFIX_BYTES + 1 + 8)
        .putLong(group.getMostSignificantBits())
        .putLong(group.getLeastSignificantBits())
        .put(SESSION_TAG)
        .putLong(client)
        .array();
  }

  static boolean isSessionKey(byte[] key) {
    return key.length > GROUP_PREFIX_BYTES && key[GROUP_PREFIX_BYTES] == SESSION_TAG;
  }

  /** The client whose session is stored under {@code key}. */
  static long clientOf(byte[] key) {
    return ByteBuffer.wrap(key).getLong(GROUP_PREFIX_BYTES + 1);
  }

  /** The first LMDB key of the group's records (entries, then sessions). */
  static byte[] recordsFrom(UUID group) {
    return rangeBound(group, ENTRY_TAG);
  }

  /** The LMDB key just past the group's records. */
  static byte[] recordsTo(UUID group) {
    return rangeBound(group, (byte) (SESSION_TAG + 1));
  }

  /** The first LMDB key of the group's sessions. */
  static byte[] sessionsFrom(UUID group) {
    return rangeBound(group, SESSION_TAG);
  }

  private static byte[] rangeBound(UUID group, byte tag) {
    byte[] key = metaKey(group);
    key[GROUP_PREFIX_BYTES] = tag;
    return key;
  }

  static byte[] encode(Entry entry) {
    byte[] key = entry.key().getBytes(UTF_8);
    byte[] contentType = entry.contentType().getBytes(UTF_8);
    int size = 1 + 8 + 8 + 4 + key.length;
    if (!entry.tombstone()) {
      size += 2 + contentType.length + entry.value().length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(entry.tombstone() ? TOMBSTONE : VALUE);
    buffer.putLong(entry.revision()).putLong(entry.modifiedAt());
    buffer.putInt(key.length).put(key);
    if (!entry.tombstone()) {
      buffer.putShort((short) contentType.length).put(contentType).put(entry.value());
    }
    return buffer.array();
  }

  /**
   * The entry stored for {@code key}, if the stored payload is one and is about that key (a hashed
   * LMDB key is checked against the whole key).
   */
  static Optional<Entry> decodeEntry(Optional<byte[]> payload, String key) {
    return payload.map(StrongRecord::decodeEntry).filter(entry -> entry.key().equals(key));
  }

  static Entry decodeEntry(byte[] payload) {
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    byte kind = buffer.get();
    if (kind != VALUE && kind != TOMBSTONE) {
      throw new IllegalStateException("not a strong entry (kind " + kind + ")");
    }
    long revision = buffer.getLong();
    long modifiedAt = buffer.getLong();
    byte[] key = new byte[buffer.getInt()];
    buffer.get(key);
    if (kind == TOMBSTONE) {
      return Entry.tombstone(new String(key, UTF_8), revision, modifiedAt);
    }
    byte[] contentType = new byte[Short.toUnsignedInt(buffer.getShort())];
    buffer.get(contentType);
    byte[] value = new byte[buffer.remaining()];
    buffer.get(value);
    return Entry.value(
        new String(key, UTF_8), revision, modifiedAt, new String(contentType, UTF_8), value);
  }

  static byte[] encode(Meta meta) {
    return ByteBuffer.allocate(1 + 8 * 3)
        .put(META)
        .putLong(meta.revision())
        .putLong(meta.appliedTerm())
        .putLong(meta.appliedIndex())
        .array();
  }

  static Meta decodeMeta(byte[] payload) {
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    byte kind = buffer.get();
    if (kind != META) {
      throw new IllegalStateException("not a strong group meta record (kind " + kind + ")");
    }
    return new Meta(buffer.getLong(), buffer.getLong(), buffer.getLong());
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
