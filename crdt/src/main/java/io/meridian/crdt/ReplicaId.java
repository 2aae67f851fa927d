package io.meridian.crdt;

import java.util.Objects;

/**
 * The identity of a replica that writes CRDT state: the owner of the dots and counter entries it
 * creates.
 *
 * <p>Uniqueness matters more than form: two live replicas sharing an id would mint the same dots
 * and silently lose each other's updates. So would a replica that restarts with an id but without
 * the state it wrote under that id. Ids are compared by their string value, which gives every
 * sorted structure (and so every encoding) one deterministic order.
 *
 * @param value non-empty, well-formed, at most {@value #MAX_UTF8_BYTES} bytes in UTF-8
 */
public record ReplicaId(String value) implements Comparable<ReplicaId> {
  /** The longest id in UTF-8 bytes; the codec writes ids with a length prefix. */
  public static final int MAX_UTF8_BYTES = 255;

  public ReplicaId {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("replica id must not be empty");
    }
    int bytes = Utf8.encodedLength(value, "replica id");
    if (bytes > MAX_UTF8_BYTES) {
      throw new IllegalArgumentException(
          "replica id is " + bytes + " UTF-8 bytes, more than " + MAX_UTF8_BYTES);
    }
  }

  /** Shorthand for {@code new ReplicaId(value)}. */
  public static ReplicaId of(String value) {
    return new ReplicaId(value);
  }

  @Override
  public int compareTo(ReplicaId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
