package io.meridian.crdt;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A bounds-checked reader of the {@link CrdtCodec} primitives. Every read checks the remaining
 * length before touching the array or allocating, and every failure is a {@link
 * CorruptStateException}. Reads are strict, so that exactly one byte string decodes to each value:
 * overlong varints and malformed UTF-8 are rejected.
 */
final class CodecInput {
  private final byte[] bytes;
  private final int limit;
  private int position;
  private CharsetDecoder utf8; // created on the first non-ASCII string

  CodecInput(byte[] bytes, int offset, int limit) {
    this.bytes = bytes;
    this.position = offset;
    this.limit = limit;
  }

  int readByte() {
    require(1, "byte");
    return bytes[position++] & 0xFF;
  }

  /** Reads an unsigned LEB128 varint of at most 64 bits in its shortest form. */
  long readVarint() {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      if (shift == 63 && b > 1) {
        throw new CorruptStateException("varint exceeds 64 bits");
      }
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) {
          throw new CorruptStateException("varint is not in its shortest form");
        }
        return value;
      }
    }
    throw new CorruptStateException("varint exceeds 64 bits");
  }

  /** Reads a varint that must lie in [min, max]. */
  long readVarint(long min, long max, String what) {
    long value = readVarint();
    if (value < min || value > max) {
      throw new CorruptStateException(what + " out of range: " + Long.toUnsignedString(value));
    }
    return value;
  }

  /**
   * Reads a count of items that each take at least one byte, so a count above the remaining length
   * is corrupt; this bounds every allocation by the input size.
   */
  int readCount(String what) {
    return (int) readVarint(0, limit - position, what);
  }

  /** Reads a varint length, then that many bytes. */
  byte[] readBytes(String what) {
    int length = readCount(what + " length");
    byte[] out = Arrays.copyOfRange(bytes, position, position + length);
    position += length;
    return out;
  }

  /** Reads a varint-length-prefixed, well-formed UTF-8 string. */
  String readString(String what) {
    int length = readCount(what + " length");
    int start = position;
    position += length;
    if (isAscii(start, length)) {
      return new String(bytes, start, length, StandardCharsets.US_ASCII);
    }
    if (utf8 == null) {
      utf8 =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
    }
    try {
      return utf8.reset().decode(ByteBuffer.wrap(bytes, start, length)).toString();
    } catch (CharacterCodingException e) {
      throw new CorruptStateException(what + " is not well-formed UTF-8", e);
    }
  }

  private boolean isAscii(int start, int length) {
    for (int i = start; i < start + length; i++) {
      if (bytes[i] < 0) {
        return false;
      }
    }
    return true;
  }

  /** Throws unless every byte up to the limit has been read. */
  void requireEnd() {
    if (position != limit) {
      throw new CorruptStateException((limit - position) + " trailing bytes");
    }
  }

  private void require(int count, String what) {
    if (limit - position < count) {
      throw new CorruptStateException("truncated: expected a " + what + " at offset " + position);
    }
  }
}
