package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.crdt.CorruptStateException;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.CrdtCodec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The payload stored for a CRDT key: {@code [key length, varint][key UTF-8][encoded CRDT]}. The
 * full key travels with the state because the LMDB key may hold only a digest of it, and range
 * scans (anti-entropy, rebalancing) must recover the key from what they find.
 */
final class StoredState {
  private StoredState() {}

  static byte[] encode(DataKey key, Crdt<?> state) {
    byte[] keyBytes = key.keyBytes();
    byte[] encoded = CrdtCodec.encode(state);
    ByteArrayOutputStream out = new ByteArrayOutputStream(keyBytes.length + encoded.length + 5);
    int length = keyBytes.length;
    while ((length & ~0x7F) != 0) {
      out.write((length & 0x7F) | 0x80);
      length >>>= 7;
    }
    out.write(length);
    out.writeBytes(keyBytes);
    out.writeBytes(encoded);
    return out.toByteArray();
  }

  /** The key a stored payload belongs to (read from the payload itself). */
  static String decodeKey(byte[] payload) {
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    int length = readLength(buffer, "stored value");
    byte[] key = new byte[length];
    buffer.get(key);
    return new String(key, UTF_8);
  }

  private static int readLength(ByteBuffer buffer, String what) {
    int length = 0;
    for (int shift = 0; ; shift += 7) {
      if (!buffer.hasRemaining() || shift > 28) {
        throw new StoreException(StoreException.Reason.CORRUPT, what + ": bad key length");
      }
      byte b = buffer.get();
      length |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (length < 0 || length > buffer.remaining()) {
      throw new StoreException(StoreException.Reason.CORRUPT, what + ": key length beyond value");
    }
    return length;
  }

  /** Decodes the state stored for {@code key}; a mismatched key or bad encoding is corruption. */
  static Crdt<?> decode(DataKey key, byte[] payload) {
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    int length = readLength(buffer, key.toString());
    byte[] storedKey = new byte[length];
    buffer.get(storedKey);
    if (!Arrays.equals(storedKey, key.key().getBytes(UTF_8))) {
      throw corrupt(key, "value belongs to another key");
    }
    byte[] encoded = Arrays.copyOfRange(payload, buffer.position(), payload.length);
    try {
      return CrdtCodec.decode(encoded);
    } catch (CorruptStateException e) {
      throw new StoreException(StoreException.Reason.CORRUPT, key + ": " + e.getMessage(), e);
    }
  }

  private static StoreException corrupt(DataKey key, String problem) {
    return new StoreException(StoreException.Reason.CORRUPT, key + ": " + problem);
  }
}
