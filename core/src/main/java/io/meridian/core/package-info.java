/**
 * One node's local truth. {@link io.meridian.core.Store} (implemented by {@link
 * io.meridian.core.LmdbStore}) persists values with group commit; {@link
 * io.meridian.core.LocalReplica} keeps this node's copy of CRDT keys in it, turning {@link
 * io.meridian.core.Operation}s into deltas and joining deltas from elsewhere; {@link
 * io.meridian.core.DataKey} places a key in its {@link io.meridian.core.Keyspace}, on the ring and
 * in LMDB; {@link io.meridian.core.HybridLogicalClock} timestamps register writes and {@link
 * io.meridian.core.NodeIdentity} names the replica that writes them.
 */
package io.meridian.core;
