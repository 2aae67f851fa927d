package io.meridian.replication;

import io.meridian.core.Keyspace;
import io.vertx.core.Future;
import java.util.Optional;

/** Operator-driven anti-entropy ({@code /v1/admin/repair}); usable from any context. */
public interface RepairService {

  /**
   * Starts a Merkle-tree repair of every range this node replicates.
   *
   * @param keyspace only this keyspace, if given
   * @param peer only ranges shared with this node, if given
   * @param dryRun count differences without shipping anything
   */
  Future<RepairProgress> startRepair(
      Optional<Keyspace> keyspace, Optional<String> peer, boolean dryRun);

  /** The progress of a repair started on this node, if it knows the id. */
  Future<Optional<RepairProgress>> repairProgress(String id);
}
