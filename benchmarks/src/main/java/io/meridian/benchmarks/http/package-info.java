/**
 * Closed-loop HTTP load generation against a Meridian node, and the plain Vert.x baseline it is
 * compared with.
 *
 * <p>{@link io.meridian.benchmarks.http.LoadGenerator} is the command line: it builds a {@link
 * io.meridian.benchmarks.http.Workload} (an {@link io.meridian.benchmarks.http.OpMix} of {@link
 * io.meridian.benchmarks.http.Op}s over keys drawn from a {@link
 * io.meridian.benchmarks.http.KeyDistribution}), runs it through one {@link
 * io.meridian.benchmarks.http.LoadVerticle} per event loop in the {@link
 * io.meridian.benchmarks.http.Phase}s preload, warm-up and measurement, and merges the verticles'
 * {@link io.meridian.benchmarks.http.LatencyReport}s. {@link
 * io.meridian.benchmarks.http.HelloWorldServer} answers {@code GET /} and nothing else: the ceiling
 * that HTTP on this machine allows before Meridian does any work. {@link
 * io.meridian.benchmarks.http.SingleNodeReport} turns the files {@code run-single-node.sh} collects
 * (generator JSON, {@code /metrics} scrapes, redis-benchmark CSV) into the recorded Markdown table.
 */
package io.meridian.benchmarks.http;
