package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Byte-level surgery on a stopped node's LMDB file ({@code <dataDir>/store/data.mdb}), the way a
 * failing disk or an operator's mistake would change it. LMDB copies pages on write, so the file
 * can hold several copies of a value (the live one and stale ones in free pages): every change here
 * is made to every copy.
 */
final class LmdbFiles {
  /** The stored value frame (core's {@code ValueFrame}): format version, CRC32C, payload. */
  private static final byte FRAME_VERSION = 1;

  private static final int FRAME_HEADER_BYTES = 5;
  private static final byte[] FORMAT_KEY = "store.format".getBytes(UTF_8);

  private LmdbFiles() {}

  /** The LMDB data file under a node's data directory. */
  static Path dataFile(Path dataDir) {
    return dataDir.resolve("store").resolve("data.mdb");
  }

  /**
   * Inverts {@code count} bytes starting {@code offset} bytes into every occurrence of {@code
   * marker} in {@code file}; returns how many occurrences there were.
   */
  static int flip(Path file, byte[] marker, int offset, int count) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    List<Integer> found = occurrences(bytes, marker);
    for (int at : found) {
      for (int i = at + offset; i < at + offset + count; i++) {
        bytes[i] = (byte) ~bytes[i];
      }
    }
    Files.write(file, bytes);
    return found.size();
  }

  /**
   * Rewrites the store's format marker ({@code store.format} in the {@code meta} table) to {@code
   * format}, with a valid checksum, as a newer Meridian would have written it; returns how many
   * copies were changed.
   */
  static int setStoreFormat(Path file, long format) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    byte[] frame = frame(ByteBuffer.allocate(Long.BYTES).putLong(format).array());
    int changed = 0;
    for (int at : occurrences(bytes, FORMAT_KEY)) {
      int value = at + FORMAT_KEY.length;
      if (value + frame.length <= bytes.length && bytes[value] == FRAME_VERSION) {
        System.arraycopy(frame, 0, bytes, value, frame.length);
        changed++;
      }
    }
    Files.write(file, bytes);
    return changed;
  }

  private static byte[] frame(byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    return ByteBuffer.allocate(FRAME_HEADER_BYTES + payload.length)
        .put(FRAME_VERSION)
        .putInt((int) crc.getValue())
        .put(payload)
        .array();
  }

  private static List<Integer> occurrences(byte[] bytes, byte[] needle) {
    List<Integer> found = new ArrayList<>();
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      if (bytes[i] == needle[0]
          && Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
        found.add(i);
      }
    }
    return found;
  }
}
