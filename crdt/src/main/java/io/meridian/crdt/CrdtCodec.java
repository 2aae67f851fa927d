package io.meridian.crdt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The binary format of CRDT states and causal contexts: compact, deterministic and checked.
 *
 * <p>Frame: {@code [format version = 1][type tag][payload][CRC32C of all preceding bytes, 4 bytes
 * big-endian]}. Counts, lengths, counters and timestamps are unsigned LEB128 varints (no field is
 * signed, so no zigzag is needed); strings are varint-length-prefixed UTF-8. Maps and sets are
 * written in sorted order and zero or empty parts are never stored, so equal states encode to equal
 * bytes: Merkle trees can hash encodings, and anti-entropy can compare them.
 *
 * <p>Payloads by tag:
 *
 * <ul>
 *   <li>1 {@link GCounter}: entry count, then per replica (ascending) its id and count.
 *   <li>2 {@link PnCounter}: the P counter's payload, then the N counter's.
 *   <li>3 {@link LwwRegister}: a kind byte (0 empty, 1 value, 2 tombstone), then for a value:
 *       timestamp, writer id, content type, value bytes; for a tombstone: timestamp, writer id.
 *   <li>4 {@link OrSet}: a replica table (count, ids ascending), the causal context, then the dot
 *       store: element count, per element (ascending) the element, its dot count and dots. Dots are
 *       (table index, counter) pairs; the table holds each replica once, so long ids repeated in
 *       many dots cost one byte each.
 *   <li>5 {@link CausalContext} (the opaque client token): replica table, then the context: vector
 *       entry count, per entry (index, counter), cloud size, cloud dots.
 * </ul>
 *
 * <p>Decoding is strict: it rejects any byte string that the encoder would not produce for the
 * value it denotes (unknown version or tag, bad checksum, truncation, trailing bytes, overlong
 * varints, unsorted or duplicate entries, zero counts, uncompacted contexts, dots outside the
 * context), always with a {@link CorruptStateException}. So a successful decode re-encodes to the
 * very same bytes.
 */
public final class CrdtCodec {
  /** The format version this codec writes and reads, the first byte of every encoding. */
  public static final int FORMAT_VERSION = 1;

  static final int TAG_G_COUNTER = 1;
  static final int TAG_PN_COUNTER = 2;
  static final int TAG_LWW_REGISTER = 3;
  static final int TAG_OR_SET = 4;
  static final int TAG_CAUSAL_CONTEXT = 5;

  private static final int CRC_BYTES = 4;
  private static final int MIN_FRAME_BYTES = 2 + CRC_BYTES;
  private static final int LWW_EMPTY = 0;
  private static final int LWW_VALUE = 1;
  private static final int LWW_TOMBSTONE = 2;

  /** The unsigned maximum of a PN-counter half's entry, 2^64 - 1. */
  private static final long UNSIGNED_MAX = -1L;

  private CrdtCodec() {}

  /** Encodes a CRDT state (or delta) into a self-describing, checksummed byte array. */
  public static byte[] encode(Crdt<?> value) {
    CodecOutput out = new CodecOutput();
    out.writeByte(FORMAT_VERSION);
    if (value instanceof GCounter counter) {
      out.writeByte(TAG_G_COUNTER);
      writeGCounter(out, counter);
    } else if (value instanceof PnCounter counter) {
      out.writeByte(TAG_PN_COUNTER);
      writeGCounter(out, counter.increments());
      writeGCounter(out, counter.decrements());
    } else if (value instanceof LwwRegister register) {
      out.writeByte(TAG_LWW_REGISTER);
      writeLwwRegister(out, register);
    } else if (value instanceof OrSet set) {
      out.writeByte(TAG_OR_SET);
      writeOrSet(out, set);
    } else {
      throw new IllegalArgumentException("not a known CRDT: " + value);
    }
    return finish(out);
  }

  /** Encodes a causal context as an opaque token, in the same checked frame. */
  public static byte[] encodeContext(CausalContext context) {
    CodecOutput out = new CodecOutput();
    out.writeByte(FORMAT_VERSION);
    out.writeByte(TAG_CAUSAL_CONTEXT);
    writeContext(out, context, replicaIndex(out, context));
    return finish(out);
  }

  /**
   * Decodes any CRDT state.
   *
   * @throws CorruptStateException if {@code bytes} is not a valid encoding of a CRDT state
   */
  public static Crdt<?> decode(byte[] bytes) {
    CodecInput in = open(bytes);
    int tag = in.readByte();
    try {
      Crdt<?> value =
          switch (tag) {
            case TAG_G_COUNTER -> readGCounter(in, Long.MAX_VALUE);
            case TAG_PN_COUNTER ->
                PnCounter.of(readGCounter(in, UNSIGNED_MAX), readGCounter(in, UNSIGNED_MAX));
            case TAG_LWW_REGISTER -> readLwwRegister(in);
            case TAG_OR_SET -> readOrSet(in);
            case TAG_CAUSAL_CONTEXT ->
                throw new CorruptStateException("a causal context token, not a CRDT state");
            default -> throw new CorruptStateException("unknown type tag " + tag);
          };
      in.requireEnd();
      return value;
    } catch (IllegalArgumentException e) {
      throw new CorruptStateException("invalid state: " + e.getMessage(), e);
    }
  }

  /**
   * Decodes a CRDT state that must be of {@code type}.
   *
   * @throws CorruptStateException if the bytes are invalid or hold another type
   */
  public static <T extends Crdt<T>> T decode(byte[] bytes, Class<T> type) {
    Crdt<?> value = decode(bytes);
    if (!type.isInstance(value)) {
      throw new CorruptStateException(
          "expected " + type.getSimpleName() + ", found " + value.getClass().getSimpleName());
    }
    return type.cast(value);
  }

  /**
   * Decodes a causal context token.
   *
   * @throws CorruptStateException if {@code bytes} is not a valid encoding of a causal context
   */
  public static CausalContext decodeContext(byte[] bytes) {
    CodecInput in = open(bytes);
    int tag = in.readByte();
    if (tag != TAG_CAUSAL_CONTEXT) {
      throw new CorruptStateException("expected a causal context, found type tag " + tag);
    }
    try {
      CausalContext context = readContext(in, readReplicaTable(in));
      in.requireEnd();
      return context;
    } catch (IllegalArgumentException e) {
      throw new CorruptStateException("invalid causal context: " + e.getMessage(), e);
    }
  }

  private static byte[] finish(CodecOutput out) {
    CRC32C crc = new CRC32C();
    crc.update(out.buffer(), 0, out.size());
    out.writeIntBigEndian((int) crc.getValue());
    return out.toByteArray();
  }

  /** Checks length, version and checksum; returns an input positioned at the type tag. */
  private static CodecInput open(byte[] bytes) {
    if (bytes.length < MIN_FRAME_BYTES) {
      throw new CorruptStateException("too short: " + bytes.length + " bytes");
    }
    if ((bytes[0] & 0xFF) != FORMAT_VERSION) {
      throw new CorruptStateException("unknown format version " + (bytes[0] & 0xFF));
    }
    int body = bytes.length - CRC_BYTES;
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, body);
    CodecInput trailer = new CodecInput(bytes, body, bytes.length);
    int stored = 0;
    for (int i = 0; i < CRC_BYTES; i++) {
      stored = (stored << 8) | trailer.readByte();
    }
    if (stored != (int) crc.getValue()) {
      throw new CorruptStateException("CRC32C mismatch");
    }
    return new CodecInput(bytes, 1, body);
  }

  private static void writeGCounter(CodecOutput out, GCounter counter) {
    SortedMap<ReplicaId, Long> entries = counter.entries();
    out.writeVarint(entries.size());
    entries.forEach(
        (replica, count) -> {
          out.writeString(replica.value());
          out.writeVarint(count);
        });
  }

  private static GCounter readGCounter(CodecInput in, long maxEntryUnsigned) {
    int size = in.readCount("counter entries");
    TreeMap<ReplicaId, Long> entries = new TreeMap<>();
    ReplicaId previous = null;
    for (int i = 0; i < size; i++) {
      ReplicaId replica = new ReplicaId(in.readString("replica id"));
      requireAscending(previous, replica, "counter entries");
      entries.put(replica, in.readVarint());
      previous = replica;
    }
    return GCounter.ofEntries(entries, maxEntryUnsigned);
  }

  private static void writeLwwRegister(CodecOutput out, LwwRegister register) {
    if (register.isEmpty()) {
      out.writeByte(LWW_EMPTY);
      return;
    }
    out.writeByte(register.isTombstone() ? LWW_TOMBSTONE : LWW_VALUE);
    out.writeVarint(register.timestamp());
    out.writeString(register.writer().orElseThrow().value());
    if (!register.isTombstone()) {
      out.writeString(register.contentType());
      out.writeBytes(register.valueArray());
    }
  }

  private static LwwRegister readLwwRegister(CodecInput in) {
    int kind = in.readByte();
    if (kind == LWW_EMPTY) {
      return LwwRegister.empty();
    }
    if (kind != LWW_VALUE && kind != LWW_TOMBSTONE) {
      throw new CorruptStateException("unknown register kind " + kind);
    }
    long timestamp = in.readVarint(1, Long.MAX_VALUE, "timestamp");
    ReplicaId writer = new ReplicaId(in.readString("writer"));
    if (kind == LWW_TOMBSTONE) {
      return LwwRegister.of(timestamp, writer, new byte[0], "", true);
    }
    String contentType = in.readString("content type");
    return LwwRegister.of(timestamp, writer, in.readBytes("value"), contentType, false);
  }

  private static void writeOrSet(CodecOutput out, OrSet set) {
    Map<ReplicaId, Integer> index = replicaIndex(out, set.context());
    writeContext(out, set.context(), index);
    SortedMap<String, Set<Dot>> store = set.dotStore();
    out.writeVarint(store.size());
    for (Map.Entry<String, Set<Dot>> entry : store.entrySet()) {
      out.writeString(entry.getKey());
      Set<Dot> dots = entry.getValue();
      out.writeVarint(dots.size());
      if (dots.size() == 1) {
        writeDot(out, dots.iterator().next(), index);
      } else {
        Dot[] sorted = dots.toArray(new Dot[0]);
        Arrays.sort(sorted);
        for (Dot dot : sorted) {
          writeDot(out, dot, index);
        }
      }
    }
  }

  private static OrSet readOrSet(CodecInput in) {
    List<ReplicaId> table = readReplicaTable(in);
    CausalContext context = readContext(in, table);
    int size = in.readCount("elements");
    TreeMap<String, Set<Dot>> store = new TreeMap<>();
    String previous = null;
    for (int i = 0; i < size; i++) {
      String element = in.readString("element");
      requireAscending(previous, element, "elements");
      previous = element;
      store.put(element, readElementDots(in, table, in.readCount("dots per element")));
    }
    return OrSet.decoded(store, context);
  }

  /** Writes the ids of every replica the context mentions and returns their indexes. */
  private static Map<ReplicaId, Integer> replicaIndex(CodecOutput out, CausalContext context) {
    TreeSet<ReplicaId> replicas = new TreeSet<>(context.versionVector().keySet());
    for (Dot dot : context.dotCloud()) {
      replicas.add(dot.replica());
    }
    out.writeVarint(replicas.size());
    Map<ReplicaId, Integer> index = new HashMap<>();
    for (ReplicaId replica : replicas) {
      out.writeString(replica.value());
      index.put(replica, index.size());
    }
    return index;
  }

  private static List<ReplicaId> readReplicaTable(CodecInput in) {
    int size = in.readCount("replica table");
    List<ReplicaId> table = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      ReplicaId replica = new ReplicaId(in.readString("replica id"));
      requireAscending(i == 0 ? null : table.get(i - 1), replica, "replica table");
      table.add(replica);
    }
    return table;
  }

  private static void writeContext(
      CodecOutput out, CausalContext context, Map<ReplicaId, Integer> index) {
    SortedMap<ReplicaId, Long> vector = context.versionVector();
    out.writeVarint(vector.size());
    vector.forEach(
        (replica, counter) -> {
          out.writeVarint(index.get(replica));
          out.writeVarint(counter);
        });
    SortedSet<Dot> cloud = context.dotCloud();
    out.writeVarint(cloud.size());
    for (Dot dot : cloud) {
      writeDot(out, dot, index);
    }
  }

  /** Reads a context and checks that it mentions every replica of the table, as written. */
  private static CausalContext readContext(CodecInput in, List<ReplicaId> table) {
    int vectorSize = in.readCount("version vector");
    TreeMap<ReplicaId, Long> vector = new TreeMap<>();
    boolean[] used = new boolean[table.size()];
    long previous = -1;
    for (int i = 0; i < vectorSize; i++) {
      int index = (int) in.readVarint(previous + 1, table.size() - 1L, "replica index");
      used[index] = true;
      previous = index;
      vector.put(table.get(index), in.readVarint(1, Long.MAX_VALUE, "vector entry"));
    }
    TreeSet<Dot> cloud = readDots(in, table, in.readCount("dot cloud"));
    for (Dot dot : cloud) {
      used[Collections.binarySearch(table, dot.replica())] = true; // the table is sorted
    }
    for (int i = 0; i < used.length; i++) {
      if (!used[i]) {
        throw new CorruptStateException("replica table entry " + table.get(i) + " unused");
      }
    }
    return CausalContext.ofCompacted(vector, cloud);
  }

  private static void writeDot(CodecOutput out, Dot dot, Map<ReplicaId, Integer> index) {
    out.writeVarint(index.get(dot.replica()));
    out.writeVarint(dot.counter());
  }

  /** Reads {@code count} dots that must be strictly ascending. */
  /** An element's dots, as a compact immutable set: almost every element has exactly one. */
  private static Set<Dot> readElementDots(CodecInput in, List<ReplicaId> table, int count) {
    if (count == 1) {
      int index = (int) in.readVarint(0, table.size() - 1L, "replica index");
      return Set.of(new Dot(table.get(index), in.readVarint(1, Long.MAX_VALUE, "dot counter")));
    }
    return Set.copyOf(readDots(in, table, count));
  }

  private static TreeSet<Dot> readDots(CodecInput in, List<ReplicaId> table, int count) {
    TreeSet<Dot> dots = new TreeSet<>();
    Dot previous = null;
    for (int i = 0; i < count; i++) {
      int index = (int) in.readVarint(0, table.size() - 1L, "replica index");
      Dot dot = new Dot(table.get(index), in.readVarint(1, Long.MAX_VALUE, "dot counter"));
      requireAscending(previous, dot, "dots");
      dots.add(dot);
      previous = dot;
    }
    return dots;
  }

  private static <T extends Comparable<T>> void requireAscending(T previous, T next, String what) {
    if (previous != null && previous.compareTo(next) >= 0) {
      throw new CorruptStateException(what + " not strictly ascending at " + next);
    }
  }
}
