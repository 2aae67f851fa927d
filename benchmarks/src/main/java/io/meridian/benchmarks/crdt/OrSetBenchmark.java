package io.meridian.benchmarks.crdt;

import io.meridian.crdt.Mutation;
import io.meridian.crdt.OrSet;
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
 * {@link OrSet} on a large state: joining the small delta one remote operation ships, and the local
 * mutators that produce such a delta.
 *
 * <p>The state holds {@code elements} elements added by three replicas (one dot each, a compacted
 * context of three entries), as a long-lived set in a keyspace would after replication. Every
 * benchmark starts from that same immutable state, so each invocation does exactly one operation
 * and nothing accumulates across invocations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OrSetBenchmark {
  private static final ReplicaId[] WRITERS = Fixtures.replicas(3);
  private static final ReplicaId LOCAL = WRITERS[0];
  private static final ReplicaId REMOTE = Fixtures.replica("node-remote");

  @Param({"1000", "10000"})
  public int elements;

  private OrSet large;
  private String present;
  private OrSet addNewDelta;
  private OrSet readdDelta;
  private OrSet removeDelta;
  private OrSet includedDelta;

  @Setup
  public void setUp() {
    large = Fixtures.orSet(WRITERS, elements);
    present = Fixtures.element(elements / 2);
    // Deltas as a remote replica that has seen the whole state would ship them.
    addNewDelta = large.add(REMOTE, "element-new").delta();
    readdDelta = large.add(REMOTE, present).delta();
    removeDelta = large.remove(present).delta();
    // A delta the state already holds: what a re-delivery (retry, anti-entropy overlap) joins.
    Mutation<OrSet> local = large.add(LOCAL, "element-local");
    large = local.state();
    includedDelta = local.delta();
  }

  /** A remote add of an element the set does not hold: one new element, one new dot. */
  @Benchmark
  public OrSet joinAddDelta() {
    return large.join(addNewDelta);
  }

  /** A remote re-add of a present element: its dot is replaced by the remote one. */
  @Benchmark
  public OrSet joinReaddDelta() {
    return large.join(readdDelta);
  }

  /** A remote remove of a present element: a context-only delta. */
  @Benchmark
  public OrSet joinRemoveDelta() {
    return large.join(removeDelta);
  }

  /** A delta already included: the join must find that nothing changes and return the state. */
  @Benchmark
  public OrSet joinIncludedDelta() {
    return large.join(includedDelta);
  }

  /** Local add of a new element: the new state and its one-element delta. */
  @Benchmark
  public Mutation<OrSet> addNew() {
    return large.add(LOCAL, "element-new");
  }

  /** Local remove of a present element: the new state and its context-only delta. */
  @Benchmark
  public Mutation<OrSet> removePresent() {
    return large.remove(present);
  }
}
