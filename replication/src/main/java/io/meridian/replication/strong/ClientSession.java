package io.meridian.replication.strong;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a group's state machine remembers of one client, so that each of the client's writes is
 * applied at most once however many copies of it reach the log (Raft thesis §6.3). Copies come from
 * retries: Ratis resends a request after a leader change, and the client sends a write again after
 * an attempt whose outcome it cannot know; each such copy may be appended as its own entry.
 *
 * <p>The first copy of a write to be applied decides it, and its reply is kept under its nonce; a
 * later copy is answered with that reply and changes nothing. Replies are forgotten once the client
 * says (in {@link StrongRequest#finishedBelow()}) that it has finished the request: it sends no
 * copy of it any more. A copy that still turns up after that (one the client gave up on, answering
 * 504) is not applied: either an earlier copy was, or the write never happens, and both fit an
 * unknown outcome.
 *
 * <p>Every replica derives the same sessions from the same log, so they decide alike. Mutable, and
 * confined to the storage writer thread like the group's revision counter; stored beside the
 * group's keys ({@link StrongRecord#sessionKey}) after each entry's key updates, so storage always
 * holds a session no newer than the keys it speaks of.
 *
 * <p>Stored format, big-endian: {@code [finished below:8][count:4]} then per remembered write
 * {@code [nonce:8][reply length:4][encoded reply]}.
 */
final class ClientSession {
  private long finishedBelow;
  private final TreeMap<Long, StrongReply> replies;

  ClientSession() {
    this(Long.MIN_VALUE, new TreeMap<>());
  }

  private ClientSession(long finishedBelow, TreeMap<Long, StrongReply> replies) {
    this.finishedBelow = finishedBelow;
    this.replies = replies;
  }

  /** Learns from a request that every nonce below {@code finishedBelow} is finished. */
  void finishedBelow(long finishedBelow) {
    if (finishedBelow > this.finishedBelow) {
      this.finishedBelow = finishedBelow;
      replies.headMap(finishedBelow).clear();
    }
  }

  /**
   * The reply to a write of {@code nonce} that must not be applied: the reply of the copy applied
   * before, or {@link StrongReply.Superseded} for a request the client had finished; empty if this
   * is the first copy to be applied.
   */
  Optional<StrongReply> decided(long nonce) {
    if (nonce < finishedBelow) {
      return Optional.of(new StrongReply.Superseded());
    }
    return Optional.ofNullable(replies.get(nonce));
  }

  /** Keeps the reply of the write of {@code nonce}, applied now. */
  void applied(long nonce, StrongReply reply) {
    replies.put(nonce, reply);
  }

  /** How many replies are remembered (for tests). */
  int remembered() {
    return replies.size();
  }

  byte[] encode() {
    Map<Long, byte[]> encoded = new TreeMap<>();
    int size = 8 + 4;
    for (Map.Entry<Long, StrongReply> entry : replies.entrySet()) {
      byte[] reply = StrongReply.encode(entry.getValue());
      encoded.put(entry.getKey(), reply);
      size += 8 + 4 + reply.length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(size).putLong(finishedBelow).putInt(encoded.size());
    encoded.forEach((nonce, reply) -> buffer.putLong(nonce).putInt(reply.length).put(reply));
    return buffer.array();
  }

  static ClientSession decode(byte[] payload) {
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    long finishedBelow = buffer.getLong();
    int count = buffer.getInt();
    TreeMap<Long, StrongReply> replies = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      long nonce = buffer.getLong();
      int length = buffer.getInt();
      ByteBuffer reply = buffer.slice(buffer.position(), length);
      buffer.position(buffer.position() + length);
      replies.put(nonce, StrongReply.decode(reply));
    }
    if (buffer.hasRemaining()) {
      throw new IllegalStateException("trailing bytes after a client session");
    }
    return new ClientSession(finishedBelow, replies);
  }
}
