package io.meridian.replication;

import io.meridian.core.DataKey;
import io.vertx.core.Future;
import java.util.List;
import java.util.SortedMap;

/**
 * Read-only views of the cluster for operators ({@code /v1/cluster/*}); usable from any context.
 */
public interface ClusterView {

  /** This node's current view of the members, their health and pending hints. */
  Future<ClusterStatus> status();

  /** The preference lists of {@code key} in every region. */
  Future<SortedMap<String, List<String>>> preferenceLists(DataKey key);
}
