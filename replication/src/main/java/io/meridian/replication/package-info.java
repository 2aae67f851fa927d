/**
 * Everything between nodes. A {@link io.meridian.replication.Coordinator} serves CRDT reads and
 * writes at a {@link io.meridian.replication.Consistency} level and reports {@link
 * io.meridian.replication.Replicated} counts or a {@link
 * io.meridian.replication.ReplicationException}; {@link io.meridian.replication.LocalCoordinator}
 * is the coordinator of a node running alone.
 */
package io.meridian.replication;
