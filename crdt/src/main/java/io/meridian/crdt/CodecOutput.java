package io.meridian.crdt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the primitives of the {@link CrdtCodec} format. */
final class CodecOutput {
  private byte[] buffer = new byte[64];
  private int size;

  void writeByte(int b) {
    ensure(1);
    buffer[size++] = (byte) b;
  }

  /** Writes {@code value} as an unsigned LEB128 varint: 7 bits a byte, low bits first. */
  void writeVarint(long value) {
    ensure(10);
    while ((value & ~0x7FL) != 0) {
      buffer[size++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buffer[size++] = (byte) value;
  }

  /** Writes a varint length, then the bytes. */
  void writeBytes(byte[] bytes) {
    writeVarint(bytes.length);
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buffer, size, bytes.length);
    size += bytes.length;
  }

  /** Writes a string as its varint-length-prefixed UTF-8 bytes. */
  void writeString(String s) {
    writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  void writeIntBigEndian(int value) {
    ensure(4);
    buffer[size++] = (byte) (value >>> 24);
    buffer[size++] = (byte) (value >>> 16);
    buffer[size++] = (byte) (value >>> 8);
    buffer[size++] = (byte) value;
  }

  /** The buffer, valid up to {@link #size()}; callers must not modify it. */
  byte[] buffer() {
    return buffer;
  }

  int size() {
    return size;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }

  private void ensure(int extra) {
    if (buffer.length - size < extra) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + extra));
    }
  }
}
