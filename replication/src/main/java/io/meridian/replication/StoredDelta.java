package io.meridian.replication;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.CrdtCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A delta kept durably for later shipping — a hint, or an entry of the outgoing delta buffer of a
 * remote region: {@code [created at][keyspace][key length][key][encoded delta]}.
 */
record StoredDelta(long createdAtMillis, DataKey key, Crdt<?> delta) {

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(createdAtMillis);
      out.writeByte(key.keyspace().tag());
      byte[] keyBytes = key.keyBytes();
      out.writeInt(keyBytes.length);
      out.write(keyBytes);
      out.write(CrdtCodec.encode(delta));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static StoredDelta decode(byte[] value) {
    ByteBuffer buffer = ByteBuffer.wrap(value);
    long createdAt = buffer.getLong();
    byte tag = buffer.get();
    Keyspace keyspace =
        Arrays.stream(Keyspace.values())
            .filter(k -> k.tag() == tag)
            .findFirst()
            .orElseThrow(
                () -> new IllegalStateException("stored delta of unknown keyspace " + tag));
    byte[] keyBytes = new byte[buffer.getInt()];
    buffer.get(keyBytes);
    byte[] delta = Arrays.copyOfRange(value, buffer.position(), value.length);
    return new StoredDelta(
        createdAt, new DataKey(keyspace, new String(keyBytes, UTF_8)), CrdtCodec.decode(delta));
  }
}
