package io.meridian.crdt;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * A last-writer-wins register: opaque bytes with a content type, or a tombstone, stamped with the
 * (timestamp, writer) pair of the write that produced it.
 *
 * <p>The join keeps the register with the higher timestamp, the higher {@link ReplicaId} on equal
 * timestamps (Shapiro et al., INRIA RR-7506, 2011, "LWW-Register"). Timestamps are hybrid logical
 * clock values produced outside this module, so they respect causality and stay close to physical
 * time. A delete writes a timestamped tombstone rather than forgetting the value: an absent value
 * could not outvote an older write arriving later.
 *
 * <p>Should two writes carry the same (timestamp, writer) with different payloads, which a correct
 * clock never produces, the join still has to pick the same one on every replica, or replicas would
 * diverge silently. So registers are totally ordered by timestamp, writer, tombstone flag, content
 * type, then value bytes (unsigned lexicographic), and the join is the maximum. A total order makes
 * the join commutative, associative and idempotent without exception. (So a delete beats a write
 * with the same timestamp and writer.)
 *
 * <p>The empty register has never been written; it is the join identity, with timestamp 0, no
 * writer, no value and an empty content type.
 */
public final class LwwRegister implements Crdt<LwwRegister> {
  private static final byte[] NO_BYTES = new byte[0];
  private static final LwwRegister EMPTY = new LwwRegister(0, null, NO_BYTES, "", false);

  /** The total order the join maximises; the empty register, timestamp 0, sorts first. */
  private static final Comparator<LwwRegister> ORDER =
      Comparator.comparingLong((LwwRegister r) -> r.timestamp)
          .thenComparing(r -> r.writer, Comparator.nullsFirst(Comparator.naturalOrder()))
          .thenComparing(r -> r.tombstone)
          .thenComparing(r -> r.contentType)
          .thenComparing((a, b) -> Arrays.compareUnsigned(a.value, b.value));

  private final long timestamp;
  private final ReplicaId writer; // null only in EMPTY
  private final byte[] value; // owned, never exposed
  private final String contentType;
  private final boolean tombstone;

  private LwwRegister(
      long timestamp, ReplicaId writer, byte[] value, String contentType, boolean tombstone) {
    this.timestamp = timestamp;
    this.writer = writer;
    this.value = value;
    this.contentType = contentType;
    this.tombstone = tombstone;
  }

  /** Returns the register that was never written. */
  public static LwwRegister empty() {
    return EMPTY;
  }

  /**
   * Builds a written register or tombstone, as the codec reads it; the value is not copied.
   *
   * @throws IllegalArgumentException if the timestamp is below 1, or a tombstone has a value or
   *     content type
   */
  static LwwRegister of(
      long timestamp, ReplicaId writer, byte[] value, String contentType, boolean tombstone) {
    if (timestamp < 1) {
      throw new IllegalArgumentException("timestamp must be >= 1, was " + timestamp);
    }
    Objects.requireNonNull(writer, "writer");
    Utf8.requireWellFormed(Objects.requireNonNull(contentType, "contentType"), "content type");
    if (tombstone && (value.length != 0 || !contentType.isEmpty())) {
      throw new IllegalArgumentException("a tombstone has no value and no content type");
    }
    return new LwwRegister(timestamp, writer, value, contentType, tombstone);
  }

  /**
   * Writes {@code value} with {@code contentType} at (timestamp, writer). If that pair is not above
   * the current one the state stays as it is, but the delta is still the written register: the
   * join, not the caller, decides who wins.
   *
   * @param timestamp a hybrid logical clock value, at least 1
   * @param value copied
   */
  public Mutation<LwwRegister> write(
      long timestamp, ReplicaId writer, byte[] value, String contentType) {
    byte[] copy = Objects.requireNonNull(value, "value").clone();
    return apply(of(timestamp, writer, copy, contentType, false));
  }

  /** Deletes the value by writing a tombstone at (timestamp, writer); see {@link #write}. */
  public Mutation<LwwRegister> delete(long timestamp, ReplicaId writer) {
    return apply(of(timestamp, writer, NO_BYTES, "", true));
  }

  private Mutation<LwwRegister> apply(LwwRegister written) {
    return new Mutation<>(join(written), written);
  }

  /** The hybrid logical clock value of the winning write; 0 for the empty register. */
  public long timestamp() {
    return timestamp;
  }

  /** The replica that made the winning write; empty for the empty register. */
  public Optional<ReplicaId> writer() {
    return Optional.ofNullable(writer);
  }

  /** A copy of the value; empty for a tombstone or the empty register. */
  public byte[] value() {
    return value.clone();
  }

  /** A read-only view of the value, to read or send it without copying. */
  public ByteBuffer valueBuffer() {
    return ByteBuffer.wrap(value).asReadOnlyBuffer();
  }

  /** The number of bytes in the value. */
  public int valueLength() {
    return value.length;
  }

  /** The content type of the value; empty for a tombstone or the empty register. */
  public String contentType() {
    return contentType;
  }

  /** Whether the winning write was a delete. */
  public boolean isTombstone() {
    return tombstone;
  }

  /** Whether the register was never written (the join identity). */
  @Override
  public boolean isEmpty() {
    return writer == null;
  }

  /** Whether a value is present: written and not deleted. */
  public boolean hasValue() {
    return writer != null && !tombstone;
  }

  /** The maximum of the two registers in the total order described on the class. */
  @Override
  public LwwRegister join(LwwRegister other) {
    return ORDER.compare(this, other) >= 0 ? this : other;
  }

  /** The internal value array, for the codec; callers must not modify it. */
  byte[] valueArray() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof LwwRegister other
            && timestamp == other.timestamp
            && Objects.equals(writer, other.writer)
            && tombstone == other.tombstone
            && contentType.equals(other.contentType)
            && Arrays.equals(value, other.value));
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(timestamp, writer, tombstone, contentType) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    if (isEmpty()) {
      return "LwwRegister{empty}";
    }
    return "LwwRegister{timestamp="
        + timestamp
        + ", writer="
        + writer
        + (tombstone ? ", tombstone" : ", contentType=" + contentType)
        + ", valueBytes="
        + value.length
        + "}";
  }
}
