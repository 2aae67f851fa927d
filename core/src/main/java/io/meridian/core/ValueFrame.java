package io.meridian.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The envelope of every value Meridian writes to LMDB: {@code [format version][CRC32C of the
 * payload, 4 bytes][payload]}. LMDB has no page checksums, so this is how a flipped bit on disk is
 * caught on read instead of being served.
 */
final class ValueFrame {
  static final byte FORMAT_VERSION = 1;
  private static final int HEADER_BYTES = 5;

  private ValueFrame() {}

  static byte[] wrap(byte[] payload) {
    byte[] framed = new byte[HEADER_BYTES + payload.length];
    ByteBuffer.wrap(framed).put(FORMAT_VERSION).putInt(crc(payload, 0, payload.length));
    System.arraycopy(payload, 0, framed, HEADER_BYTES, payload.length);
    return framed;
  }

  /**
   * The payload of a framed value; throws {@link StoreException} (CORRUPT) if it does not check.
   */
  static byte[] unwrap(byte[] framed) {
    if (framed.length < HEADER_BYTES) {
      throw corrupt("value of " + framed.length + " bytes is shorter than its header");
    }
    if (framed[0] != FORMAT_VERSION) {
      throw corrupt("unknown value format version " + framed[0]);
    }
    int expected = ByteBuffer.wrap(framed, 1, 4).getInt();
    int actual = crc(framed, HEADER_BYTES, framed.length - HEADER_BYTES);
    if (expected != actual) {
      throw corrupt("value checksum mismatch");
    }
    return Arrays.copyOfRange(framed, HEADER_BYTES, framed.length);
  }

  private static int crc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }

  private static StoreException corrupt(String message) {
    return new StoreException(StoreException.Reason.CORRUPT, message);
  }
}
