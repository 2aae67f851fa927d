package io.meridian.replication.strong;

import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A group's state as one file, written from LMDB when Ratis takes a snapshot and loaded into LMDB
 * when a lagging follower installs one from its leader.
 *
 * <p>Format: {@code "MRDNSNAP"}, format version (int), group id (two longs), the group's last
 * revision and applied term and index (longs), then for every live key and every client session
 * ({@link StrongRecord}) {@code [LMDB key length:int][LMDB key][record length:int][record]}, a
 * length of -1, and the CRC32C of everything before it (long). Tombstones are left out: a snapshot
 * covers every log entry they guard against. Format 1 (before client sessions) is still read.
 *
 * <p>Both directions run on the group's Ratis state-machine updater thread, which applies nothing
 * while they run, and wait on storage futures there (never on an event loop).
 */
final class StrongSnapshot {
  private static final byte[] MAGIC =
      "MRDNSNAP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final int FORMAT = 2;
  private static final int FIRST_READABLE_FORMAT = 1;
  private static final int PAGE = 1024;

  private StrongSnapshot() {}

  /** What {@link #write} saw: the group's meta and the tombstones a snapshot lets go of. */
  record Written(StrongRecord.Meta meta, long entries, List<byte[]> tombstones) {}

  /**
   * Writes the group's committed state to {@code file} (through a temporary file, fsynced, then
   * renamed, and the rename fsynced) as of {@code meta}.
   */
  static Written write(Path file, UUID group, Store store, StrongRecord.Meta meta)
      throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    long entries = 0;
    List<byte[]> tombstones = new ArrayList<>();
    CRC32C crc = new CRC32C();
    try (FileOutputStream fileOut = new FileOutputStream(temporary.toFile());
        CheckedOutputStream checked =
            new CheckedOutputStream(new BufferedOutputStream(fileOut, 1 << 16), crc);
        DataOutputStream out = new DataOutputStream(checked)) {
      out.write(MAGIC);
      out.writeInt(FORMAT);
      out.writeLong(group.getMostSignificantBits());
      out.writeLong(group.getLeastSignificantBits());
      out.writeLong(meta.revision());
      out.writeLong(meta.appliedTerm());
      out.writeLong(meta.appliedIndex());
      for (Store.Entry record :
          StoreFutures.scan(
              store,
              Table.STRONG,
              StrongRecord.recordsFrom(group),
              StrongRecord.recordsTo(group))) {
        if (record.corrupt()) {
          throw new IOException("a strong record of group " + group + " failed its checksum");
        }
        if (!StrongRecord.isSessionKey(record.key())
            && StrongRecord.decodeEntry(record.value()).tombstone()) {
          tombstones.add(record.key());
          continue;
        }
        out.writeInt(record.key().length);
        out.write(record.key());
        out.writeInt(record.value().length);
        out.write(record.value());
        entries++;
      }
      out.writeInt(-1);
      out.flush();
      long checksum = crc.getValue();
      out.writeLong(checksum);
      out.flush();
      fileOut.getFD().sync();
    }
    Files.move(
        temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    // The rename must be durable too: once Ratis purges the log below this snapshot, the snapshot
    // is the only durable copy of those entries (LMDB's strong table is not synced on commit).
    try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      directory.force(true);
    }
    return new Written(meta, entries, tombstones);
  }

  /**
   * Replaces the group's state in LMDB with the snapshot in {@code file}: marks the group as
   * loading, deletes records the snapshot does not have, writes every record it has, then records
   * the snapshot's meta. A crash in between leaves the loading mark, so the next start loads again.
   *
   * @return the meta of the loaded state
   */
  static StrongRecord.Meta load(Path file, UUID group, Store store) throws IOException {
    byte[] metaKey = StrongRecord.metaKey(group);
    StrongRecord.Meta loading = new StrongRecord.Meta(0, 0, StrongRecord.Meta.LOADING);
    StoreFutures.join(submit(store, metaKey, put(StrongRecord.encode(loading))));

    StrongRecord.Meta meta;
    Set<Key> kept = new HashSet<>();
    CRC32C crc = new CRC32C();
    try (InputStream fileIn = Files.newInputStream(file);
        CheckedInputStream checked =
            new CheckedInputStream(new BufferedInputStream(fileIn, 1 << 16), crc);
        DataInputStream in = new DataInputStream(checked)) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      int format = in.readInt();
      if (!Arrays.equals(magic, MAGIC) || format < FIRST_READABLE_FORMAT || format > FORMAT) {
        throw new IOException(
            file
                + " is not a strong-key snapshot of format "
                + FIRST_READABLE_FORMAT
                + "–"
                + FORMAT);
      }
      UUID stored = new UUID(in.readLong(), in.readLong());
      if (!stored.equals(group)) {
        throw new IOException(file + " is a snapshot of group " + stored + ", not " + group);
      }
      meta = new StrongRecord.Meta(in.readLong(), in.readLong(), in.readLong());
      List<CompletableFuture<Void>> writes = new ArrayList<>();
      for (int keyLength = in.readInt(); keyLength >= 0; keyLength = in.readInt()) {
        byte[] key = readExactly(in, keyLength);
        byte[] value = readExactly(in, in.readInt());
        // Validates before anything is written.
        if (StrongRecord.isSessionKey(key)) {
          ClientSession.decode(value);
        } else {
          StrongRecord.decodeEntry(value);
        }
        kept.add(new Key(key));
        writes.add(submit(store, key, put(value)));
        if (writes.size() >= PAGE) {
          joinAll(writes);
        }
      }
      long expected = crc.getValue();
      if (in.readLong() != expected) {
        throw new IOException(file + " failed its checksum");
      }
      joinAll(writes);
    } catch (EOFException e) {
      throw new IOException(file + " is truncated", e);
    }
    deleteAllBut(group, store, kept);
    StoreFutures.join(submit(store, metaKey, put(StrongRecord.encode(meta))));
    return meta;
  }

  private static void deleteAllBut(UUID group, Store store, Set<Key> kept) {
    List<CompletableFuture<Void>> deletes = new ArrayList<>();
    for (Store.Entry record :
        StoreFutures.scan(
            store, Table.STRONG, StrongRecord.recordsFrom(group), StrongRecord.recordsTo(group))) {
      if (!kept.contains(new Key(record.key()))) {
        deletes.add(
            store.update(Table.STRONG, record.key(), current -> StoreUpdate.Outcome.delete(null)));
        if (deletes.size() >= PAGE) {
          joinAll(deletes);
        }
      }
    }
    joinAll(deletes);
  }

  private static <R> CompletableFuture<R> submit(Store store, byte[] key, StoreUpdate<R> update) {
    return StoreFutures.submit(store, Table.STRONG, key, update, 30_000);
  }

  private static StoreUpdate<Void> put(byte[] value) {
    return current -> StoreUpdate.Outcome.write(value, null);
  }

  private static byte[] readExactly(DataInputStream in, int length) throws IOException {
    if (length < 0 || length > (256 << 20)) {
      throw new IOException("implausible record length " + length);
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  private static void joinAll(List<CompletableFuture<Void>> futures) {
    StoreFutures.join(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));
    futures.clear();
  }

  /** An LMDB key with value equality. */
  private record Key(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }
}
