package io.meridian.replication;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@code [stream name][0x00][sequence, 8 bytes big-endian]}: the LMDB key of one entry of a durable
 * stream (the hints of one target, the delta buffer of one remote region), so a stream is one
 * contiguous range in sequence order. Names are node or region ids, which hold no NUL byte.
 */
record SequenceKey(String stream, long sequence) {

  byte[] encode() {
    byte[] name = stream.getBytes(UTF_8);
    return ByteBuffer.allocate(name.length + 1 + Long.BYTES)
        .put(name)
        .put((byte) 0)
        .putLong(sequence)
        .array();
  }

  static SequenceKey parse(byte[] bytes) {
    int separator = bytes.length - Long.BYTES - 1;
    if (separator < 1 || bytes[separator] != 0) {
      throw new IllegalStateException("malformed stream key");
    }
    return new SequenceKey(
        new String(bytes, 0, separator, UTF_8),
        ByteBuffer.wrap(bytes, separator + 1, Long.BYTES).getLong());
  }

  /** The first key of {@code stream}. */
  static byte[] streamStart(String stream) {
    byte[] name = stream.getBytes(UTF_8);
    return Arrays.copyOf(name, name.length + 1);
  }

  /** The key just past every key of {@code stream}. */
  static byte[] streamEnd(String stream) {
    byte[] end = streamStart(stream);
    end[end.length - 1] = 1;
    return end;
  }
}
