/**
 * Meridian's benchmarks: JMH micro-benchmarks in packages named after the module they measure
 * ({@code io.meridian.benchmarks.crdt}, {@code io.meridian.benchmarks.core}), and the HTTP load
 * generator with its hello-world baseline and result report ({@code io.meridian.benchmarks.http}).
 * See {@code benchmarks/README.md}.
 */
package io.meridian.benchmarks;
