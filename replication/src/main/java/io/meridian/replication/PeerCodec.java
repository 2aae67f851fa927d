package io.meridian.replication;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.CausalContext;
import io.meridian.crdt.CorruptStateException;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.CrdtCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The wire format of {@link PeerMessage}s between nodes: {@code [version][sender id][type][fields]}
 * with CRDT states and deltas in their own {@link CrdtCodec} encoding (checksummed). Anything that
 * does not decode cleanly is rejected with {@link IllegalArgumentException} and dropped by the
 * receiver.
 */
public final class PeerCodec {
  private static final byte VERSION = 1;
  private static final int MAX_STRING_BYTES = 1 << 20;
  private static final int MAX_BLOB_BYTES = 64 << 20;
  private static final int MAX_LIST = 1 << 20;

  private PeerCodec() {}

  /** A decoded message and the id of the node that sent it. */
  public record Envelope(String from, PeerMessage message) {}

  public static byte[] encode(String from, PeerMessage message) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      writeString(out, from);
      writeMessage(out, message);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static Envelope decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readByte() != VERSION) {
        throw new IllegalArgumentException("unknown peer message version");
      }
      String from = readString(in);
      PeerMessage message = readMessage(in);
      if (in.available() > 0) {
        throw new IllegalArgumentException("trailing bytes after peer message");
      }
      return new Envelope(from, message);
    } catch (IOException | CorruptStateException | IllegalStateException e) {
      throw new IllegalArgumentException("malformed peer message: " + e.getMessage(), e);
    }
  }

  private static void writeMessage(DataOutputStream out, PeerMessage message) throws IOException {
    if (message instanceof PeerMessage.Heartbeat) {
      out.writeByte(1);
    } else if (message instanceof PeerMessage.Replicate m) {
      out.writeByte(2);
      out.writeLong(m.requestId());
      writeKey(out, m.key());
      writeCrdt(out, m.delta());
    } else if (message instanceof PeerMessage.ReplicateAck m) {
      out.writeByte(3);
      out.writeLong(m.requestId());
    } else if (message instanceof PeerMessage.Read m) {
      out.writeByte(4);
      out.writeLong(m.requestId());
      writeKey(out, m.key());
    } else if (message instanceof PeerMessage.ReadReply m) {
      out.writeByte(5);
      out.writeLong(m.requestId());
      writeOptionalCrdt(out, m.state());
    } else if (message instanceof PeerMessage.Repair m) {
      out.writeByte(6);
      writeKey(out, m.key());
      writeCrdt(out, m.state());
    } else if (message instanceof PeerMessage.ForwardWrite m) {
      out.writeByte(7);
      out.writeLong(m.requestId());
      writeKey(out, m.key());
      writeOperation(out, m.operation());
      writeConsistency(out, m.consistency());
    } else if (message instanceof PeerMessage.ForwardRead m) {
      out.writeByte(8);
      out.writeLong(m.requestId());
      writeKey(out, m.key());
      writeConsistency(out, m.consistency());
    } else if (message instanceof PeerMessage.ForwardReply m) {
      out.writeByte(9);
      out.writeLong(m.requestId());
      writeOutcome(out, m.outcome());
    } else if (message instanceof PeerMessage.HintDelivery m) {
      out.writeByte(10);
      out.writeLong(m.deliveryId());
      out.writeInt(m.hints().size());
      for (PeerMessage.KeyedDelta hint : m.hints()) {
        writeKey(out, hint.key());
        writeCrdt(out, hint.delta());
      }
    } else if (message instanceof PeerMessage.HintDeliveryAck m) {
      out.writeByte(11);
      out.writeLong(m.deliveryId());
    } else if (message instanceof PeerMessage.TreeHashes m) {
      out.writeByte(12);
      out.writeLong(m.sessionId());
      out.writeByte(m.keyspace().tag());
      writeInts(out, m.levels());
      writeInts(out, m.indexes());
    } else if (message instanceof PeerMessage.TreeHashesReply m) {
      out.writeByte(13);
      out.writeLong(m.sessionId());
      writeLongs(out, m.hashes());
    } else if (message instanceof PeerMessage.DigestRequest m) {
      out.writeByte(14);
      out.writeLong(m.sessionId());
      out.writeByte(m.keyspace().tag());
      writeLongs(out, m.firsts());
      writeLongs(out, m.lasts());
    } else if (message instanceof PeerMessage.DigestReply m) {
      out.writeByte(15);
      out.writeLong(m.sessionId());
      out.writeInt(m.digests().size());
      for (PeerMessage.Digest digest : m.digests()) {
        writeKey(out, digest.key());
        out.writeLong(digest.hash());
      }
    } else if (message instanceof PeerMessage.GossipBatch m) {
      out.writeByte(17);
      out.writeLong(m.batchId());
      out.writeInt(m.deltas().size());
      for (PeerMessage.KeyedDelta delta : m.deltas()) {
        writeKey(out, delta.key());
        writeCrdt(out, delta.delta());
      }
    } else if (message instanceof PeerMessage.GossipAck m) {
      out.writeByte(18);
      out.writeLong(m.batchId());
    } else if (message instanceof PeerMessage.PushRequest m) {
      out.writeByte(16);
      out.writeInt(m.keys().size());
      for (DataKey key : m.keys()) {
        writeKey(out, key);
      }
    } else {
      throw new IllegalArgumentException("unknown message " + message);
    }
  }

  private static PeerMessage readMessage(DataInputStream in) throws IOException {
    int type = in.readUnsignedByte();
    return switch (type) {
      case 1 -> new PeerMessage.Heartbeat();
      case 2 -> new PeerMessage.Replicate(in.readLong(), readKey(in), readCrdt(in));
      case 3 -> new PeerMessage.ReplicateAck(in.readLong());
      case 4 -> new PeerMessage.Read(in.readLong(), readKey(in));
      case 5 -> new PeerMessage.ReadReply(in.readLong(), readOptionalCrdt(in));
      case 6 -> new PeerMessage.Repair(readKey(in), readCrdt(in));
      case 7 ->
          new PeerMessage.ForwardWrite(
              in.readLong(), readKey(in), readOperation(in), readConsistency(in));
      case 8 -> new PeerMessage.ForwardRead(in.readLong(), readKey(in), readConsistency(in));
      case 9 -> new PeerMessage.ForwardReply(in.readLong(), readOutcome(in));
      case 10 -> new PeerMessage.HintDelivery(in.readLong(), readKeyedDeltas(in));
      case 17 -> new PeerMessage.GossipBatch(in.readLong(), readKeyedDeltas(in));
      case 18 -> new PeerMessage.GossipAck(in.readLong());
      case 11 -> new PeerMessage.HintDeliveryAck(in.readLong());
      case 12 ->
          new PeerMessage.TreeHashes(in.readLong(), readKeyspace(in), readInts(in), readInts(in));
      case 13 -> new PeerMessage.TreeHashesReply(in.readLong(), readLongs(in));
      case 14 ->
          new PeerMessage.DigestRequest(
              in.readLong(), readKeyspace(in), readLongs(in), readLongs(in));
      case 15 -> {
        long id = in.readLong();
        int count = readCount(in);
        List<PeerMessage.Digest> digests = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
          digests.add(new PeerMessage.Digest(readKey(in), in.readLong()));
        }
        yield new PeerMessage.DigestReply(id, digests);
      }
      case 16 -> {
        int count = readCount(in);
        List<DataKey> keys = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
          keys.add(readKey(in));
        }
        yield new PeerMessage.PushRequest(keys);
      }
      default -> throw new IllegalArgumentException("unknown message type " + type);
    };
  }

  private static List<PeerMessage.KeyedDelta> readKeyedDeltas(DataInputStream in)
      throws IOException {
    int count = readCount(in);
    List<PeerMessage.KeyedDelta> deltas = new ArrayList<>(Math.min(count, 1024));
    for (int i = 0; i < count; i++) {
      deltas.add(new PeerMessage.KeyedDelta(readKey(in), readCrdt(in)));
    }
    return deltas;
  }

  private static void writeOperation(DataOutputStream out, Operation operation) throws IOException {
    if (operation instanceof Operation.CounterAdd add) {
      out.writeByte(1);
      out.writeLong(add.delta());
    } else if (operation instanceof Operation.SetUpdate update) {
      out.writeByte(2);
      writeStrings(out, update.add());
      writeStrings(out, update.remove());
      writeOptionalContext(out, update.observed());
    } else if (operation instanceof Operation.SetClear clear) {
      out.writeByte(3);
      writeOptionalContext(out, clear.observed());
    } else if (operation instanceof Operation.RegisterPut put) {
      out.writeByte(4);
      writeBlob(out, put.value());
      writeString(out, put.contentType());
    } else if (operation instanceof Operation.RegisterDelete) {
      out.writeByte(5);
    } else {
      throw new IllegalArgumentException("unknown operation " + operation);
    }
  }

  private static Operation readOperation(DataInputStream in) throws IOException {
    int type = in.readUnsignedByte();
    return switch (type) {
      case 1 -> new Operation.CounterAdd(in.readLong());
      case 2 -> new Operation.SetUpdate(readStrings(in), readStrings(in), readOptionalContext(in));
      case 3 -> new Operation.SetClear(readOptionalContext(in));
      case 4 -> new Operation.RegisterPut(readBlob(in), readString(in));
      case 5 -> new Operation.RegisterDelete();
      default -> throw new IllegalArgumentException("unknown operation type " + type);
    };
  }

  private static void writeOutcome(DataOutputStream out, PeerMessage.Outcome outcome)
      throws IOException {
    if (outcome instanceof PeerMessage.Outcome.Written written) {
      out.writeByte(1);
      writeCrdt(out, written.state());
      writeCrdt(out, written.delta());
      out.writeInt(written.acked());
      out.writeInt(written.required());
    } else if (outcome instanceof PeerMessage.Outcome.ReadDone read) {
      out.writeByte(2);
      writeOptionalCrdt(out, read.state());
      out.writeInt(read.acked());
      out.writeInt(read.required());
    } else if (outcome instanceof PeerMessage.Outcome.Failed failed) {
      out.writeByte(3);
      out.writeByte(failed.failure().ordinal());
      out.writeInt(failed.acked());
      out.writeInt(failed.required());
      writeString(out, failed.message());
    }
  }

  private static PeerMessage.Outcome readOutcome(DataInputStream in) throws IOException {
    int type = in.readUnsignedByte();
    return switch (type) {
      case 1 ->
          new PeerMessage.Outcome.Written(readCrdt(in), readCrdt(in), in.readInt(), in.readInt());
      case 2 -> new PeerMessage.Outcome.ReadDone(readOptionalCrdt(in), in.readInt(), in.readInt());
      case 3 -> {
        int ordinal = in.readUnsignedByte();
        if (ordinal >= RemoteFailure.values().length) {
          throw new IllegalArgumentException("unknown failure " + ordinal);
        }
        yield new PeerMessage.Outcome.Failed(
            RemoteFailure.values()[ordinal], in.readInt(), in.readInt(), readString(in));
      }
      default -> throw new IllegalArgumentException("unknown outcome type " + type);
    };
  }

  private static void writeConsistency(DataOutputStream out, Optional<Consistency> consistency)
      throws IOException {
    out.writeByte(consistency.map(c -> c.ordinal() + 1).orElse(0));
  }

  private static Optional<Consistency> readConsistency(DataInputStream in) throws IOException {
    int value = in.readUnsignedByte();
    if (value > Consistency.values().length) {
      throw new IllegalArgumentException("unknown consistency " + value);
    }
    return value == 0 ? Optional.empty() : Optional.of(Consistency.values()[value - 1]);
  }

  private static void writeKey(DataOutputStream out, DataKey key) throws IOException {
    out.writeByte(key.keyspace().tag());
    writeBlob(out, key.keyBytes());
  }

  private static DataKey readKey(DataInputStream in) throws IOException {
    Keyspace keyspace = readKeyspace(in);
    return new DataKey(keyspace, new String(readBlob(in), UTF_8));
  }

  private static Keyspace readKeyspace(DataInputStream in) throws IOException {
    byte tag = in.readByte();
    for (Keyspace candidate : Keyspace.values()) {
      if (candidate.tag() == tag) {
        return candidate;
      }
    }
    throw new IllegalArgumentException("unknown keyspace " + tag);
  }

  private static void writeInts(DataOutputStream out, int[] values) throws IOException {
    out.writeInt(values.length);
    for (int value : values) {
      out.writeInt(value);
    }
  }

  private static int[] readInts(DataInputStream in) throws IOException {
    int count = readCount(in);
    if ((long) count * Integer.BYTES > in.available()) {
      throw new IllegalArgumentException("bad count " + count);
    }
    int[] values = new int[count];
    for (int i = 0; i < values.length; i++) {
      values[i] = in.readInt();
    }
    return values;
  }

  private static void writeLongs(DataOutputStream out, long[] values) throws IOException {
    out.writeInt(values.length);
    for (long value : values) {
      out.writeLong(value);
    }
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    int count = readCount(in);
    if ((long) count * Long.BYTES > in.available()) {
      throw new IllegalArgumentException("bad count " + count);
    }
    long[] values = new long[count];
    for (int i = 0; i < values.length; i++) {
      values[i] = in.readLong();
    }
    return values;
  }

  private static void writeCrdt(DataOutputStream out, Crdt<?> state) throws IOException {
    writeBlob(out, CrdtCodec.encode(state));
  }

  private static Crdt<?> readCrdt(DataInputStream in) throws IOException {
    return CrdtCodec.decode(readBlob(in));
  }

  private static void writeOptionalCrdt(DataOutputStream out, Optional<Crdt<?>> state)
      throws IOException {
    out.writeBoolean(state.isPresent());
    if (state.isPresent()) {
      writeCrdt(out, state.get());
    }
  }

  private static Optional<Crdt<?>> readOptionalCrdt(DataInputStream in) throws IOException {
    return in.readBoolean() ? Optional.of(readCrdt(in)) : Optional.empty();
  }

  private static void writeOptionalContext(DataOutputStream out, Optional<CausalContext> context)
      throws IOException {
    out.writeBoolean(context.isPresent());
    if (context.isPresent()) {
      writeBlob(out, CrdtCodec.encodeContext(context.get()));
    }
  }

  private static Optional<CausalContext> readOptionalContext(DataInputStream in)
      throws IOException {
    return in.readBoolean() ? Optional.of(CrdtCodec.decodeContext(readBlob(in))) : Optional.empty();
  }

  private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
    out.writeInt(strings.size());
    for (String s : strings) {
      writeString(out, s);
    }
  }

  private static List<String> readStrings(DataInputStream in) throws IOException {
    int count = readCount(in);
    List<String> strings = new ArrayList<>(Math.min(count, 1024));
    for (int i = 0; i < count; i++) {
      strings.add(readString(in));
    }
    return strings;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    writeBlob(out, s.getBytes(UTF_8));
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] bytes = readBlob(in);
    if (bytes.length > MAX_STRING_BYTES) {
      throw new IllegalArgumentException("string too long");
    }
    return new String(bytes, UTF_8);
  }

  private static void writeBlob(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBlob(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_BLOB_BYTES || length > in.available()) {
      throw new IllegalArgumentException("bad length " + length);
    }
    return in.readNBytes(length);
  }

  private static int readCount(DataInputStream in) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > MAX_LIST) {
      throw new IllegalArgumentException("bad count " + count);
    }
    return count;
  }
}
