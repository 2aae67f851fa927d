/** Placeholder. */
package io.meridian.benchmarks;
