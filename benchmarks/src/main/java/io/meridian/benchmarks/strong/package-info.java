/**
 * What strong keys' Raft library costs by itself: {@link io.meridian.benchmarks.strong.RatisFloor}.
 */
package io.meridian.benchmarks.strong;
