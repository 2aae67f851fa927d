package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.crdt.ReplicaId;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * Who this node is, stored beside its data: the configured node id and an incarnation chosen when
 * the data directory was created. CRDT dots and counter entries are written under the replica id
 * {@code <node id>.<incarnation>}, never under the bare node id.
 *
 * <p>Why: a node whose data directory was wiped has forgotten the dots it issued. Were it to write
 * under its old replica id again, its new dot 1 would equal an old dot 1 that other replicas have
 * already seen (and perhaps removed), and writes would silently vanish. A fresh incarnation per
 * data directory makes a wiped node a new replica to everyone else.
 */
public record NodeIdentity(String nodeId, String incarnation) {
  private static final byte[] META_KEY = "node.identity".getBytes(UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int RANDOM_CHARACTERS = 8;

  public NodeIdentity {
    if (nodeId.isEmpty() || incarnation.isEmpty()) {
      throw new IllegalArgumentException("node id and incarnation must not be empty");
    }
  }

  /** The replica id this incarnation writes CRDT state under. */
  public ReplicaId replicaId() {
    return new ReplicaId(nodeId + "." + incarnation);
  }

  /**
   * The identity stored in {@code store}, or a fresh one stored durably if the store is new.
   *
   * @param createdAtMillis wall-clock time of creation, folded into a new incarnation
   * @throws IllegalStateException if the store belongs to a node with another id
   */
  public static NodeIdentity loadOrCreate(Store store, String nodeId, long createdAtMillis) {
    try {
      return store
          .update(
              Table.META,
              META_KEY,
              current -> {
                if (current.isPresent()) {
                  return StoreUpdate.Outcome.unchanged(parse(current.get()));
                }
                NodeIdentity created = new NodeIdentity(nodeId, newIncarnation(createdAtMillis));
                return StoreUpdate.Outcome.write(created.serialize(), created);
              })
          .thenApply(identity -> checkOwner(identity, nodeId))
          .join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static NodeIdentity checkOwner(NodeIdentity stored, String nodeId) {
    if (!stored.nodeId.equals(nodeId)) {
      throw new IllegalStateException(
          "the data directory belongs to node '" + stored.nodeId + "', not '" + nodeId + "'");
    }
    return stored;
  }

  /**
   * Milliseconds in base 36 plus eight random characters (41 bits). The clock alone does not make
   * an incarnation unique: a wiped node can restart within the same millisecond, or after its wall
   * clock was set back, so the random part must make a repeat negligible on its own (two random
   * characters did not: one creation in 1,296 repeated).
   */
  private static String newIncarnation(long createdAtMillis) {
    StringBuilder incarnation = new StringBuilder(Long.toString(createdAtMillis, 36));
    for (int i = 0; i < RANDOM_CHARACTERS; i++) {
      incarnation.append(Character.forDigit(RANDOM.nextInt(36), 36));
    }
    return incarnation.toString();
  }

  private byte[] serialize() {
    return (nodeId + "\n" + incarnation).getBytes(UTF_8);
  }

  private static NodeIdentity parse(byte[] bytes) {
    String text = new String(bytes, UTF_8);
    int newline = text.indexOf('\n');
    return Optional.of(newline)
        .filter(i -> i > 0)
        .map(i -> new NodeIdentity(text.substring(0, i), text.substring(i + 1)))
        .orElseThrow(
            () -> new StoreException(StoreException.Reason.CORRUPT, "unreadable node identity"));
  }
}
