/**
 * Everything between nodes, as deterministic state machines with thin Vert.x adapters.
 *
 * <p>{@link io.meridian.replication.ReplicationNode} is one node's protocol, driven by client
 * calls, {@link io.meridian.replication.PeerMessage}s and ticks. It composes {@link
 * io.meridian.replication.Membership} (members, {@link
 * io.meridian.replication.PhiAccrualDetector}s, the ring), {@code QuorumCoordinator} (N/W/R reads
 * and writes, forwarding, read repair), {@code HintedHandoff}, {@code AntiEntropy} with its {@code
 * RangeComparison}s (Merkle repair, rebalancing), and {@code RegionGossip} over the {@code
 * DeltaBuffer} (delta-state shipping between regions). It talks through a {@link
 * io.meridian.replication.Transport}; {@link io.meridian.replication.ReplicationVerticle} hosts it
 * on an event loop with an {@code EventBusTransport} and {@link
 * io.meridian.replication.HazelcastCluster} membership, and offers the {@link
 * io.meridian.replication.Coordinator}, {@link io.meridian.replication.ClusterView} and {@link
 * io.meridian.replication.RepairService} the gateway uses. Strong keys (Raft) live in the {@code
 * strong} subpackage.
 */
package io.meridian.replication;
