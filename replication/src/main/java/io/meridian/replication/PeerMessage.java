package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.Operation;
import io.meridian.crdt.Crdt;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The messages replicas exchange. All are one-way; a reply names the request it answers by the
 * requester's {@code requestId}, so the protocol needs no request-reply support from the transport
 * and runs the same over the event bus and over a simulated network. Lost, duplicated and reordered
 * messages are all tolerated: deltas are joined (idempotent), and unanswered requests time out.
 */
public sealed interface PeerMessage {

  /** Proof of life for the phi-accrual detector. */
  record Heartbeat() implements PeerMessage {}

  /** Join {@code delta} into your copy of {@code key}, then acknowledge. */
  record Replicate(long requestId, DataKey key, Crdt<?> delta) implements PeerMessage {}

  /** {@link Replicate} {@code requestId} is durable on the sender. */
  record ReplicateAck(long requestId) implements PeerMessage {}

  /** Send me your copy of {@code key}. */
  record Read(long requestId, DataKey key) implements PeerMessage {}

  /** The sender's copy of a key, empty if it never saw the key. */
  record ReadReply(long requestId, Optional<Crdt<?>> state) implements PeerMessage {}

  /** Read repair: your copy of {@code key} was behind; join this state. Not acknowledged. */
  record Repair(DataKey key, Crdt<?> state) implements PeerMessage {}

  /** Coordinate this client write for me: I am not a replica of its key. */
  record ForwardWrite(
      long requestId, DataKey key, Operation operation, Optional<Consistency> consistency)
      implements PeerMessage {}

  /** Coordinate this client read for me: I am not a replica of its key. */
  record ForwardRead(long requestId, DataKey key, Optional<Consistency> consistency)
      implements PeerMessage {}

  /** The outcome of a forwarded request. */
  record ForwardReply(long requestId, Outcome outcome) implements PeerMessage {}

  /** Hinted handoff: deltas that were meant for you while you were unreachable, oldest first. */
  record HintDelivery(long deliveryId, List<KeyedDelta> hints) implements PeerMessage {
    public HintDelivery {
      hints = List.copyOf(hints);
    }
  }

  /** Every delta of {@link HintDelivery} {@code deliveryId} is durable on the sender. */
  record HintDeliveryAck(long deliveryId) implements PeerMessage {}

  /** Anti-entropy: send me your Merkle hashes of these tree nodes (level, index) of a keyspace. */
  record TreeHashes(long sessionId, Keyspace keyspace, int[] levels, int[] indexes)
      implements PeerMessage {}

  /** The hashes asked for by {@link TreeHashes}, in the same order. */
  record TreeHashesReply(long sessionId, long[] hashes) implements PeerMessage {}

  /** Anti-entropy: send me your key digests for these token ranges (inclusive) of a keyspace. */
  record DigestRequest(long sessionId, Keyspace keyspace, long[] firsts, long[] lasts)
      implements PeerMessage {}

  /** The digests asked for by {@link DigestRequest}. */
  record DigestReply(long sessionId, List<Digest> digests) implements PeerMessage {
    public DigestReply {
      digests = List.copyOf(digests);
    }
  }

  /** Anti-entropy: send me your state of these keys (as {@link Repair} messages). */
  record PushRequest(List<DataKey> keys) implements PeerMessage {
    public PushRequest {
      keys = List.copyOf(keys);
    }
  }

  /** A key and the hash of its stored state. */
  record Digest(DataKey key, long hash) {}

  /** Delta-state gossip: deltas written in the sender's region, for this region's replicas. */
  record GossipBatch(long batchId, List<KeyedDelta> deltas) implements PeerMessage {
    public GossipBatch {
      deltas = List.copyOf(deltas);
    }
  }

  /** Every delta of {@link GossipBatch} {@code batchId} is durable in the receiver's region. */
  record GossipAck(long batchId) implements PeerMessage {}

  /** A delta of one key (a hint, a gossiped delta). */
  record KeyedDelta(DataKey key, Crdt<?> delta) {
    public KeyedDelta {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(delta, "delta");
    }
  }

  /** How a forwarded request ended. */
  sealed interface Outcome {
    /** A write succeeded: the coordinator's state after it and the delta it produced. */
    record Written(Crdt<?> state, Crdt<?> delta, int acked, int required) implements Outcome {}

    /** A read succeeded. */
    record ReadDone(Optional<Crdt<?>> state, int acked, int required) implements Outcome {}

    /** The request failed; {@code failure} says how, in a form that survives the wire. */
    record Failed(RemoteFailure failure, int acked, int required, String message)
        implements Outcome {}
  }
}
