package io.meridian.benchmarks.crdt;

import io.meridian.crdt.Mutation;
import io.meridian.crdt.PnCounter;
import io.meridian.crdt.ReplicaId;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link PnCounter} with {@code replicas} writers: joining one replica's increment delta, joining a
 * concurrently advanced full state (anti-entropy), and producing an increment delta.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PnCounterBenchmark {
  @Param({"3", "50"})
  public int replicas;

  private ReplicaId local;
  private PnCounter state;
  private PnCounter incrementDelta;
  private PnCounter concurrentState;

  @Setup
  public void setUp() {
    ReplicaId[] ids = Fixtures.replicas(replicas);
    local = ids[0];
    state = Fixtures.pnCounter(ids);
    // A delta of the last replica: one entry, above what the state holds.
    incrementDelta = state.add(ids[ids.length - 1], 1).delta();
    // Another replica's full state: every second replica has moved on since, in both halves.
    PnCounter other = state;
    for (int i = 1; i < ids.length; i += 2) {
      other = other.add(ids[i], 7).state().add(ids[i], -3).state();
    }
    concurrentState = other;
    // And the local state has moved on too, so the join takes entries from both sides.
    state = state.add(local, 5).state();
  }

  /** One replica's increment delta into the state. */
  @Benchmark
  public PnCounter joinDelta() {
    return state.join(incrementDelta);
  }

  /** A concurrently advanced full state into the state: neither side dominates. */
  @Benchmark
  public PnCounter joinState() {
    return state.join(concurrentState);
  }

  /** A local increment: the new state and its one-entry delta. */
  @Benchmark
  public Mutation<PnCounter> increment() {
    return state.add(local, 1);
  }
}
