package io.meridian.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The storage writer's redo log: each group commit appends the values it wrote as one record and
 * syncs it, which is what makes those writes durable; the LMDB environment catches up at the next
 * checkpoint, and after a crash {@link #recover} hands back the records the environment had not yet
 * taken in.
 *
 * <p>Why: an LMDB commit writes every page it touched where its free list had room, each page its
 * own block request, then syncs twice. A group commit of twenty counter increments on random keys
 * costs ~25 scattered pages and ~640 µs of disk; the same increments appended here cost one or two
 * contiguous pages and one {@code fdatasync}. LMDB then commits once per checkpoint for thousands
 * of updates, where pages touched many times are written once.
 *
 * <p>Layout: records from offset 0, each {@code [length:4][crc32c:4][lsn:8][changes]}, the CRC over
 * the LSN and the changes, and each change {@code [table:1][kind:1][key length:4][key]} followed
 * for a put by {@code [value length:4][framed value]}. Record LSNs rise by one. After a checkpoint
 * the log is written from offset 0 again, over the records the checkpoint made redundant: the file
 * is overwritten in place, so a sync does not also have to journal a new file size. Reading stops
 * at the first record that is torn, fails its CRC, or does not carry the next LSN — older records
 * left behind a newer, shorter run of records always fail one of those.
 *
 * <p>Writer thread only.
 */
final class WriteAheadLog implements AutoCloseable {
  private static final int HEADER_BYTES = 4 + 4 + 8;
  private static final byte PUT = 1;
  private static final byte DELETE = 0;

  /** One value written by a group commit: {@code framedValue} is null for a delete. */
  record Change(Table table, byte[] key, byte[] framedValue) {}

  /** A record read back from the log. */
  record Record(long lsn, List<Change> changes) {}

  private final FileChannel channel;
  private long position;

  private WriteAheadLog(FileChannel channel) {
    this.channel = channel;
  }

  static WriteAheadLog open(Path file) throws IOException {
    return new WriteAheadLog(
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
  }

  /** Bytes written since the log last restarted. */
  long size() {
    return position;
  }

  /** The bytes {@link #append} would write for {@code changes}. */
  static long recordBytes(List<Change> changes) {
    long bytes = HEADER_BYTES + 4;
    for (Change change : changes) {
      bytes += 2 + 4 + change.key().length;
      if (change.framedValue() != null) {
        bytes += 4 + change.framedValue().length;
      }
    }
    return bytes;
  }

  /**
   * Appends one record and syncs it. On failure the record may be partly on disk; the next append
   * goes to the same place.
   */
  void append(long lsn, List<Change> changes) throws IOException {
    ByteBuffer record = ByteBuffer.allocate(Math.toIntExact(recordBytes(changes)));
    record.position(4 + 4);
    record.putLong(lsn).putInt(changes.size());
    for (Change change : changes) {
      record.put((byte) change.table().ordinal());
      record.put(change.framedValue() == null ? DELETE : PUT);
      record.putInt(change.key().length).put(change.key());
      if (change.framedValue() != null) {
        record.putInt(change.framedValue().length).put(change.framedValue());
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(record.array(), 8, record.capacity() - 8);
    record.putInt(0, record.capacity()).putInt(4, (int) crc.getValue());
    record.flip();
    long at = position;
    while (record.hasRemaining()) {
      at += channel.write(record, at);
    }
    channel.force(false);
    position = at;
  }

  /** Empties the log. */
  void discard() throws IOException {
    channel.truncate(0);
    channel.force(true);
    position = 0;
  }

  /** Writes the next record from offset 0: everything in the log so far is checkpointed. */
  void restart() {
    position = 0;
  }

  /**
   * The records after {@code checkpointedLsn}, in order, read from offset 0 up to the first that
   * does not check; the next append goes after the last record read.
   */
  List<Record> recover(long checkpointedLsn) throws IOException {
    List<Record> records = new ArrayList<>();
    long at = 0;
    long expected = -1;
    long size = channel.size();
    while (size - at >= HEADER_BYTES) {
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
      readFully(header, at);
      int length = header.getInt(0);
      long lsn = header.getLong(8);
      if (length < HEADER_BYTES + 4 || length > size - at || (expected >= 0 && lsn != expected)) {
        break;
      }
      ByteBuffer record = ByteBuffer.allocate(length);
      readFully(record, at);
      CRC32C crc = new CRC32C();
      crc.update(record.array(), 8, length - 8);
      if ((int) crc.getValue() != header.getInt(4)) {
        break;
      }
      List<Change> changes = decode(record.position(HEADER_BYTES));
      if (changes == null) {
        break;
      }
      if (lsn > checkpointedLsn) {
        records.add(new Record(lsn, changes));
      }
      expected = lsn + 1;
      at += length;
    }
    position = at;
    return records;
  }

  private void readFully(ByteBuffer buffer, long at) throws IOException {
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, at + buffer.position());
      if (read < 0) {
        throw new IOException("write-ahead log ended inside a record it had measured");
      }
    }
  }

  /** The changes of a record whose CRC checked; null if they do not parse (a foreign file). */
  private static List<Change> decode(ByteBuffer record) {
    try {
      Table[] tables = Table.values();
      int count = record.getInt();
      List<Change> changes = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        Table table = tables[record.get()];
        byte kind = record.get();
        byte[] key = new byte[record.getInt()];
        record.get(key);
        byte[] value = null;
        if (kind == PUT) {
          value = new byte[record.getInt()];
          record.get(value);
        } else if (kind != DELETE) {
          return null;
        }
        changes.add(new Change(table, key, value));
      }
      return record.hasRemaining() ? null : changes;
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
