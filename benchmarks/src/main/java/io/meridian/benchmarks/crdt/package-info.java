/**
 * JMH benchmarks of the {@code crdt} module: {@link io.meridian.benchmarks.crdt.OrSetBenchmark}
 * (joining a small delta into a large OR-set, and the add/remove mutators that make such deltas),
 * {@link io.meridian.benchmarks.crdt.PnCounterBenchmark} (delta and full-state joins, increments)
 * and {@link io.meridian.benchmarks.crdt.CrdtCodecBenchmark} (encode/decode of a large OR-set and a
 * PN-counter). {@link io.meridian.benchmarks.crdt.Fixtures} builds their deterministic inputs.
 */
package io.meridian.benchmarks.crdt;
