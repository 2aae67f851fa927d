/**
 * Meridian's conflict-free replicated data types: immutable values that replicas update
 * independently and merge without coordination.
 *
 * <p>{@link io.meridian.crdt.Crdt} is the sealed root: a state with a {@code join} (the least upper
 * bound of a join-semilattice). Its four types are {@link io.meridian.crdt.GCounter} (a count per
 * replica), {@link io.meridian.crdt.PnCounter} (two G-counters), {@link
 * io.meridian.crdt.LwwRegister} (bytes stamped with a hybrid-logical-clock timestamp) and {@link
 * io.meridian.crdt.OrSet} (an add-wins set whose adds are named by {@link io.meridian.crdt.Dot}s
 * and whose removes are remembered by a {@link io.meridian.crdt.CausalContext}). Every mutator
 * returns a {@link io.meridian.crdt.Mutation}: the new state and a delta-state, itself a value of
 * the same type, that replication ships instead of the state. {@link io.meridian.crdt.ReplicaId}
 * names the replica that makes an update.
 *
 * <p>{@link io.meridian.crdt.CrdtCodec} turns states, deltas and causal contexts into
 * deterministic, checksummed bytes and back, throwing {@link
 * io.meridian.crdt.CorruptStateException} for anything it did not write.
 *
 * <p>Everything here is immutable and thread-safe, does no I/O and depends only on the JDK. See the
 * module's {@code README.md} for the invariants and the glossary.
 */
package io.meridian.crdt;
