package io.meridian.replication.strong;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The framing of a batch on the wire, shared by {@link StrongCommand.Batch} and {@link
 * StrongReply.Batch}: each part as {@code [length:4][bytes]}, one after another.
 */
final class LengthPrefixed {
  private LengthPrefixed() {}

  /** Bytes the framed parts take. */
  static int size(List<byte[]> parts) {
    return parts.stream().mapToInt(part -> 4 + part.length).sum();
  }

  static void put(ByteBuffer buffer, List<byte[]> parts) {
    parts.forEach(part -> buffer.putInt(part.length).put(part));
  }

  /** Reads {@code count} framed parts from {@code buffer}'s position. */
  static List<byte[]> get(ByteBuffer buffer, long count) {
    List<byte[]> parts = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      byte[] part = new byte[buffer.getInt()];
      buffer.get(part);
      parts.add(part);
    }
    return parts;
  }
}
