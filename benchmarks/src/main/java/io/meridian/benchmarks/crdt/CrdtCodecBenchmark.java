package io.meridian.benchmarks.crdt;

import io.meridian.crdt.CrdtCodec;
import io.meridian.crdt.OrSet;
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
 * {@link CrdtCodec} on the states every stored or shipped value goes through: a large OR-set and a
 * PN-counter. A node decodes and re-encodes a key's whole state on every write to it, so these
 * costs are per request.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CrdtCodecBenchmark {

  /** An OR-set of {@code elements} elements from three writers, and its encoding. */
  @State(Scope.Benchmark)
  public static class SetState {
    @Param({"1000", "10000"})
    public int elements;

    OrSet set;
    byte[] encoded;

    @Setup
    public void setUp() {
      set = Fixtures.orSet(Fixtures.replicas(3), elements);
      encoded = CrdtCodec.encode(set);
    }
  }

  /** A PN-counter with {@code replicas} writers, and its encoding. */
  @State(Scope.Benchmark)
  public static class CounterState {
    @Param({"3", "50"})
    public int replicas;

    PnCounter counter;
    byte[] encoded;

    @Setup
    public void setUp() {
      ReplicaId[] ids = Fixtures.replicas(replicas);
      counter = Fixtures.pnCounter(ids);
      encoded = CrdtCodec.encode(counter);
    }
  }

  @Benchmark
  public byte[] encodeOrSet(SetState state) {
    return CrdtCodec.encode(state.set);
  }

  @Benchmark
  public OrSet decodeOrSet(SetState state) {
    return CrdtCodec.decode(state.encoded, OrSet.class);
  }

  @Benchmark
  public byte[] encodePnCounter(CounterState state) {
    return CrdtCodec.encode(state.counter);
  }

  @Benchmark
  public PnCounter decodePnCounter(CounterState state) {
    return CrdtCodec.decode(state.encoded, PnCounter.class);
  }
}
