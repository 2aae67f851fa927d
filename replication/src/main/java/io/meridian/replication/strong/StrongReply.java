package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * What a group's state machine answers to a {@link StrongCommand}, as carried back in the Raft
 * client reply. Wire format: {@code [kind][revision:8]} then, for {@link Found}, {@code [content
 * type length:2][content type UTF-8][value bytes]}; for a {@link Batch} the second field is the
 * number of replies, each following as {@code [length:4][encoded reply]}; for a {@link Term} it is
 * the term.
 */
sealed interface StrongReply {

  /** The write was applied and gave the key this revision. */
  record Written(long revision) implements StrongReply {}

  /** The precondition did not hold; {@code current} is the key's revision, 0 when absent. */
  record PreconditionFailed(long current) implements StrongReply {}

  /** A delete or read of a key that does not exist. */
  record NotFound() implements StrongReply {}

  /** A read of a key that exists. */
  record Found(long revision, String contentType, byte[] value) implements StrongReply {
    public Found {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * A log entry whose result this replica cannot tell: re-applied after a restart when a later
   * write to the same key had superseded it (only a client retrying the original request after the
   * restart can see that), or applied when this replica's storage failed (the entry is committed in
   * Raft and applied on the others). Reported as an unknown outcome.
   */
  record Superseded() implements StrongReply {}

  /** The replies to the commands of a {@link StrongCommand.Batch}, in its order. */
  record Batch(List<StrongReply> replies) implements StrongReply {
    public Batch {
      replies = List.copyOf(replies);
    }
  }

  /** A voter's current term in the group, the answer to {@link StrongCommand.Term}. */
  record Term(long term) implements StrongReply {}

  static byte[] encode(StrongReply reply) {
    if (reply instanceof Batch batch) {
      List<byte[]> replies = batch.replies().stream().map(StrongReply::encode).toList();
      ByteBuffer buffer = ByteBuffer.allocate(1 + 8 + LengthPrefixed.size(replies));
      buffer.put((byte) 6).putLong(replies.size());
      LengthPrefixed.put(buffer, replies);
      return buffer.array();
    }
    if (reply instanceof Found found) {
      byte[] contentType = found.contentType().getBytes(UTF_8);
      return ByteBuffer.allocate(1 + 8 + 2 + contentType.length + found.value().length)
          .put((byte) 4)
          .putLong(found.revision())
          .putShort((short) contentType.length)
          .put(contentType)
          .put(found.value())
          .array();
    }
    byte kind;
    long revision = 0;
    if (reply instanceof Written written) {
      kind = 1;
      revision = written.revision();
    } else if (reply instanceof PreconditionFailed failed) {
      kind = 2;
      revision = failed.current();
    } else if (reply instanceof NotFound) {
      kind = 3;
    } else if (reply instanceof Term term) {
      kind = 7;
      revision = term.term();
    } else {
      kind = 5;
    }
    return ByteBuffer.allocate(9).put(kind).putLong(revision).array();
  }

  static StrongReply decode(ByteBuffer buffer) {
    byte kind = buffer.get();
    long revision = buffer.getLong();
    return switch (kind) {
      case 1 -> new Written(revision);
      case 2 -> new PreconditionFailed(revision);
      case 3 -> new NotFound();
      case 4 -> {
        byte[] contentType = new byte[Short.toUnsignedInt(buffer.getShort())];
        buffer.get(contentType);
        byte[] value = new byte[buffer.remaining()];
        buffer.get(value);
        yield new Found(revision, new String(contentType, UTF_8), value);
      }
      case 5 -> new Superseded();
      case 6 ->
          new Batch(
              LengthPrefixed.get(buffer, revision).stream()
                  .map(reply -> decode(ByteBuffer.wrap(reply)))
                  .toList());
      case 7 -> new Term(revision);
      default -> throw new IllegalArgumentException("unknown strong reply " + kind);
    };
  }
}
