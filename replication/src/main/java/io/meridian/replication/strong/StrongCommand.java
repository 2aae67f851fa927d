package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a client asks of a group's state machine: a write that goes through the Raft log ({@link
 * Put}, {@link Delete}) or a read answered by a query ({@link Get}), alone or several as one {@link
 * Batch}; or, from a leader to a follower, the follower's current {@link Term}; or reads that a
 * node sends to the group's leader to answer once it has confirmed its term ({@link LeaderRead}).
 * Every command carries a {@code nonce} unique to one client request, so the retry policy can tell
 * a request's attempts apart (Ratis retries keep the call id, so the retry cache de-duplicates
 * them).
 *
 * <p>Wire format, big-endian: {@code [op][nonce:8][precondition][revision:8][key length:4][key
 * UTF-8]} then, for a put, {@code [content type length:2][content type UTF-8][value bytes]}; a
 * batch is {@code [op][nonce:8][count:4]} then each command as {@code [length:4][encoded command]};
 * a term question is {@code [op][nonce:8]}, a leader read {@code [op][nonce:8]} then its encoded
 * reads.
 */
sealed interface StrongCommand {
  byte PUT = 1;
  byte DELETE = 2;
  byte GET = 3;
  byte BATCH = 4;
  byte TERM = 5;
  byte LEADER_READ = 6;

  long nonce();

  /** A command on one key. */
  sealed interface Single extends StrongCommand {
    String key();
  }

  /** Sets {@code key} to {@code value} if {@code precondition} holds. */
  record Put(long nonce, String key, Precondition precondition, String contentType, byte[] value)
      implements Single {
    public Put {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(precondition, "precondition");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(value, "value");
    }
  }

  /** Removes {@code key} if it exists and {@code precondition} holds. */
  record Delete(long nonce, String key, Precondition precondition) implements Single {
    public Delete {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(precondition, "precondition");
    }
  }

  /** Reads {@code key}. */
  record Get(long nonce, String key) implements Single {
    public Get {
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * Commands that clients sent concurrently to one group, carried as one request: writes applied in
   * this order as one log entry, or linearizable reads answered after one ReadIndex round — one
   * trip through Raft instead of one each. Each command keeps its own precondition and gets its own
   * reply (and, for a write, its own revision).
   *
   * <p>Either all writes or all reads. At most one write per key: a write's idempotence check after
   * a restart recognises the entry by its log index, so two writes of one key in one entry could
   * not be told apart.
   */
  record Batch(long nonce, List<Single> commands) implements StrongCommand {
    public Batch {
      commands = List.copyOf(commands);
      if (commands.isEmpty()) {
        throw new IllegalArgumentException("an empty batch");
      }
      boolean reads = commands.get(0) instanceof Get;
      Set<String> writtenKeys = new HashSet<>();
      for (Single command : commands) {
        if ((command instanceof Get) != reads) {
          throw new IllegalArgumentException("a batch holds writes or reads, not both");
        }
        if (!reads && !writtenKeys.add(command.key())) {
          throw new IllegalArgumentException("two writes of " + command.key() + " in one batch");
        }
      }
    }

    boolean reads() {
      return commands.get(0) instanceof Get;
    }
  }

  /**
   * Asks a voter for its current term in the group: a query, answered by the voter itself and never
   * put in the log. A leader confirms its leadership with it before it answers reads ({@link
   * LeaderReads}).
   */
  record Term(long nonce) implements StrongCommand {}

  /**
   * Linearizable reads (a {@link Get}, or a {@link Batch} of them) that a node which does not lead
   * the group sends to its leader as a query: the leader answers them once it has confirmed its
   * term ({@link LeaderReads}) and fails them if it cannot, and the sender then reads through the
   * log.
   */
  record LeaderRead(long nonce, StrongCommand reads) implements StrongCommand {
    public LeaderRead {
      if (!(reads instanceof Get || (reads instanceof Batch batch && batch.reads()))) {
        throw new IllegalArgumentException("a leader read carries reads, not " + reads);
      }
    }
  }

  static byte[] encode(StrongCommand command) {
    if (command instanceof Term term) {
      return ByteBuffer.allocate(1 + 8).put(TERM).putLong(term.nonce()).array();
    }
    if (command instanceof LeaderRead read) {
      byte[] reads = encode(read.reads());
      return ByteBuffer.allocate(1 + 8 + reads.length)
          .put(LEADER_READ)
          .putLong(read.nonce())
          .put(reads)
          .array();
    }
    if (command instanceof Batch batch) {
      List<byte[]> commands = batch.commands().stream().map(StrongCommand::encode).toList();
      ByteBuffer buffer = ByteBuffer.allocate(1 + 8 + 4 + LengthPrefixed.size(commands));
      buffer.put(BATCH).putLong(batch.nonce()).putInt(commands.size());
      LengthPrefixed.put(buffer, commands);
      return buffer.array();
    }
    Single single = (Single) command;
    byte[] key = single.key().getBytes(UTF_8);
    byte op;
    Precondition precondition = Precondition.none();
    byte[] contentType = new byte[0];
    byte[] value = new byte[0];
    if (command instanceof Put put) {
      op = PUT;
      precondition = put.precondition();
      contentType = put.contentType().getBytes(UTF_8);
      value = put.value();
    } else if (command instanceof Delete delete) {
      op = DELETE;
      precondition = delete.precondition();
    } else {
      op = GET;
    }
    ByteBuffer buffer =
        ByteBuffer.allocate(
            1
                + 8
                + 1
                + 8
                + 4
                + key.length
                + (op == PUT ? 2 + contentType.length + value.length : 0));
    buffer.put(op).putLong(command.nonce());
    putPrecondition(buffer, precondition);
    buffer.putInt(key.length).put(key);
    if (op == PUT) {
      buffer.putShort((short) contentType.length).put(contentType).put(value);
    }
    return buffer.array();
  }

  static StrongCommand decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    byte op = buffer.get();
    long nonce = buffer.getLong();
    if (op == BATCH) {
      List<Single> commands =
          LengthPrefixed.get(buffer, buffer.getInt()).stream()
              .map(command -> (Single) decode(command))
              .toList();
      return new Batch(nonce, commands);
    }
    if (op == TERM) {
      return new Term(nonce);
    }
    if (op == LEADER_READ) {
      byte[] reads = new byte[buffer.remaining()];
      buffer.get(reads);
      return new LeaderRead(nonce, decode(reads));
    }
    Precondition precondition = getPrecondition(buffer);
    byte[] key = new byte[buffer.getInt()];
    buffer.get(key);
    String keyString = new String(key, UTF_8);
    return switch (op) {
      case PUT -> {
        byte[] contentType = new byte[Short.toUnsignedInt(buffer.getShort())];
        buffer.get(contentType);
        byte[] value = new byte[buffer.remaining()];
        buffer.get(value);
        yield new Put(nonce, keyString, precondition, new String(contentType, UTF_8), value);
      }
      case DELETE -> new Delete(nonce, keyString, precondition);
      case GET -> new Get(nonce, keyString);
      default -> throw new IllegalArgumentException("unknown strong command " + op);
    };
  }

  /** The nonce of an encoded command, without decoding the rest. */
  static long nonceOf(ByteBuffer encoded) {
    return encoded.getLong(encoded.position() + 1);
  }

  private static void putPrecondition(ByteBuffer buffer, Precondition precondition) {
    if (precondition instanceof Precondition.RevisionIs is) {
      buffer.put((byte) 1).putLong(is.revision());
    } else if (precondition instanceof Precondition.Exists) {
      buffer.put((byte) 2).putLong(0);
    } else if (precondition instanceof Precondition.Absent) {
      buffer.put((byte) 3).putLong(0);
    } else {
      buffer.put((byte) 0).putLong(0);
    }
  }

  private static Precondition getPrecondition(ByteBuffer buffer) {
    byte kind = buffer.get();
    long revision = buffer.getLong();
    return switch (kind) {
      case 0 -> new Precondition.None();
      case 1 -> new Precondition.RevisionIs(revision);
      case 2 -> new Precondition.Exists();
      case 3 -> new Precondition.Absent();
      default -> throw new IllegalArgumentException("unknown precondition " + kind);
    };
  }
}
