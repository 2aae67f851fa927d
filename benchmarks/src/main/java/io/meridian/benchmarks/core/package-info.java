/**
 * JMH benchmarks of the {@code core} module: {@link io.meridian.benchmarks.core.LmdbStoreBenchmark}
 * measures the storage commit path, {@code LmdbStore.update} and {@code LocalReplica.apply}, with a
 * window of concurrent in-flight updates that the writer group-commits, and reports the commits per
 * second beside the mutations per second.
 */
package io.meridian.benchmarks.core;
