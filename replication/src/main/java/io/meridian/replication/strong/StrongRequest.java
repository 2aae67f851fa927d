package io.meridian.replication.strong;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What one Raft request carries: a {@link StrongCommand} and the session stamp of the client that
 * sent it. {@code client} names one client (one node's strong-key service, for as long as it runs);
 * {@code finishedBelow} says that the client has finished every request whose nonce is below it: it
 * has answered them and sends no copy of them any more. The state machine uses both to apply each
 * write at most once however many copies of it reach the log ({@link ClientSession}).
 *
 * <p>Wire format, big-endian: {@code [client:8][finished below:8]} then the encoded command.
 */
record StrongRequest(long client, long finishedBelow, StrongCommand command) {
  private static final int HEADER_BYTES = 16;

  /** The fewest bytes an encoded request has: the header, a command's op and its nonce. */
  static final int MIN_BYTES = HEADER_BYTES + 1 + 8;

  StrongRequest {
    Objects.requireNonNull(command, "command");
  }

  byte[] encode() {
    byte[] encoded = StrongCommand.encode(command);
    return ByteBuffer.allocate(HEADER_BYTES + encoded.length)
        .putLong(client)
        .putLong(finishedBelow)
        .put(encoded)
        .array();
  }

  static StrongRequest decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    long client = buffer.getLong();
    long finishedBelow = buffer.getLong();
    byte[] command = new byte[buffer.remaining()];
    buffer.get(command);
    return new StrongRequest(client, finishedBelow, StrongCommand.decode(command));
  }

  /** The nonce of an encoded request's command, without decoding the rest. */
  static long nonceOf(ByteBuffer encoded) {
    return StrongCommand.nonceOf(encoded.duplicate().position(encoded.position() + HEADER_BYTES));
  }
}
