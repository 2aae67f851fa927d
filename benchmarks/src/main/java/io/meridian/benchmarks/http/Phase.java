package io.meridian.benchmarks.http;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/** A stretch of a run: which requests the closed loops send and which of them are recorded. */
sealed interface Phase permits Phase.Preload, Phase.Timed {
  /** The next request for one loop, or empty once that loop should stop. */
  Optional<Workload.Request> next(RandomGenerator random, long nowNanos);

  /** Whether a request sent at {@code sentNanos} counts towards the report. */
  boolean records(long sentNanos);

  /**
   * Writes every key once with {@code key-put}, so that {@code key-get} afterwards hits.
   *
   * @param nextKey the key the next request writes; shared by every loop on every event loop, so it
   *     is the one atomic in the generator, touched once per preload request
   */
  record Preload(Workload workload, AtomicInteger nextKey) implements Phase {
    public Preload {
      Objects.requireNonNull(workload, "workload");
      Objects.requireNonNull(nextKey, "nextKey");
    }

    public Preload(Workload workload) {
      this(workload, new AtomicInteger());
    }

    @Override
    public Optional<Workload.Request> next(RandomGenerator random, long nowNanos) {
      int key = nextKey.getAndIncrement();
      if (key >= workload.keys().keys()) {
        return Optional.empty();
      }
      return Optional.of(workload.request(workload.preloadOp(), key, random));
    }

    @Override
    public boolean records(long sentNanos) {
      return true;
    }
  }

  /**
   * The mix until {@code stopAtNanos}; requests sent before {@code measureFromNanos} are warm-up
   * (JIT, connection set-up, server caches) and are not recorded.
   */
  record Timed(Workload workload, long measureFromNanos, long stopAtNanos) implements Phase {
    public Timed {
      Objects.requireNonNull(workload, "workload");
      if (stopAtNanos - measureFromNanos <= 0) {
        throw new IllegalArgumentException("measurement must have a positive duration");
      }
    }

    @Override
    public Optional<Workload.Request> next(RandomGenerator random, long nowNanos) {
      return nowNanos - stopAtNanos >= 0 ? Optional.empty() : Optional.of(workload.next(random));
    }

    @Override
    public boolean records(long sentNanos) {
      return sentNanos - measureFromNanos >= 0;
    }
  }
}
