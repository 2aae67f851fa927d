package io.meridian.replication.strong;

import io.vertx.core.Future;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The strong keyspace ({@code /v1/strong}, API.md): linearizable registers of bytes kept by Raft
 * groups. Usable from any Vert.x context; futures complete on the caller's context. Failures are
 * {@link StrongKeyException}s.
 */
public interface StrongKeys {

  /**
   * Writes {@code value} under {@code key} if {@code precondition} holds, once a majority of the
   * key's group has committed it.
   *
   * @return the key's new revision
   */
  Future<Long> put(String key, byte[] value, String contentType, Precondition precondition);

  /**
   * Deletes {@code key} if it exists and {@code precondition} holds.
   *
   * @return the revision of the delete
   */
  Future<Long> delete(String key, Precondition precondition);

  /** The key's value, read linearizably or from this node's replica ({@code stale}). */
  Future<Optional<Value>> get(String key, boolean stale);

  /** The groups, their voters and this node's view of their leaders ({@code raft.groups}). */
  Future<List<GroupStatus>> groups();

  /** A strong key's value with its content type and revision. */
  record Value(byte[] bytes, String contentType, long revision) {
    public Value {
      Objects.requireNonNull(bytes, "bytes");
      Objects.requireNonNull(contentType, "contentType");
    }
  }

  /**
   * One group as this node sees it: its leader and term (when known here), this node's role in it
   * ({@code leader}, {@code follower}, {@code candidate}, {@code recovering} while its replica is
   * stopped after a storage failure and being recovered from disk, or {@code none} when it does not
   * vote in the group) and its voters.
   */
  record GroupStatus(
      int index,
      String raftId,
      Optional<String> leader,
      Optional<Long> term,
      String role,
      List<String> voters) {
    public GroupStatus {
      voters = List.copyOf(voters);
    }
  }

  /** Strong keys that are not served on this node (used where no Raft server is configured). */
  static StrongKeys unavailable() {
    return new StrongKeys() {
      @Override
      public Future<Long> put(String key, byte[] value, String type, Precondition precondition) {
        return Future.failedFuture(StrongKeyException.unavailable("strong keys are not served"));
      }

      @Override
      public Future<Long> delete(String key, Precondition precondition) {
        return Future.failedFuture(StrongKeyException.unavailable("strong keys are not served"));
      }

      @Override
      public Future<Optional<Value>> get(String key, boolean stale) {
        return Future.failedFuture(StrongKeyException.unavailable("strong keys are not served"));
      }

      @Override
      public Future<List<GroupStatus>> groups() {
        return Future.succeededFuture(List.of());
      }
    };
  }
}
