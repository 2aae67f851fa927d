/**
 * Strong keys: linearizable registers kept by Apache Ratis groups (multi-Raft). {@link
 * io.meridian.replication.strong.RatisStrongKeys} runs one Raft server per node hosting the groups
 * its {@link io.meridian.replication.strong.Placement} gives it, each group's state in a {@link
 * io.meridian.replication.strong.StrongStateMachine} on the node's LMDB store, and serves the
 * {@link io.meridian.replication.strong.StrongKeys} API; requests carry {@link
 * io.meridian.replication.strong.Precondition}s and fail with {@link
 * io.meridian.replication.strong.StrongKeyException}s.
 */
package io.meridian.replication.strong;
