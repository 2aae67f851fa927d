package io.meridian.crdt;

/**
 * Thrown by {@link CrdtCodec} when bytes are not a valid encoding: wrong format version or type
 * tag, a bad checksum, truncation, trailing bytes, or a payload that breaks a CRDT invariant.
 *
 * <p>It is the only exception decoding throws for bad input, so storage and replication can treat
 * any stored or received value that fails to decode uniformly (repair it from another replica)
 * instead of crashing on an {@code IndexOutOfBoundsException}.
 */
public final class CorruptStateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CorruptStateException(String message) {
    super(message);
  }

  public CorruptStateException(String message, Throwable cause) {
    super(message, cause);
  }
}
