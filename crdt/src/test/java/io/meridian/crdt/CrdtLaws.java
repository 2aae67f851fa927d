package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * The laws every {@link Crdt} must satisfy, checked over an {@link OperationHistory}.
 *
 * <p>The join must make each type a join-semilattice (commutative, associative, idempotent, with
 * the empty state as identity); each delta must be a correct delta-mutation (Almeida, Shoker,
 * Baquero, JPDC 2018: {@code m(X) = X ⊔ mδ(X)}); any delivery order, duplication and re-delivery of
 * deltas must converge; and the codec must round-trip and be deterministic. Each method asserts
 * with AssertJ; {@link Seeds} adds the seed to any failure.
 */
public final class CrdtLaws {
  /** How many random pairs or triples each sampling law checks per history. */
  private static final int SAMPLES = 25;

  private CrdtLaws() {}

  /** {@code a ⊔ b = b ⊔ a}. */
  public static <T extends Crdt<T>> void joinIsCommutative(OperationHistory<T> history) {
    SplittableRandom random = history.checkRandom();
    List<T> samples = history.samples();
    for (int i = 0; i < SAMPLES; i++) {
      T a = pick(random, samples);
      T b = pick(random, samples);
      assertThat(a.join(b)).as("%s ⊔ %s", a, b).isEqualTo(b.join(a));
    }
  }

  /** {@code (a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)}. */
  public static <T extends Crdt<T>> void joinIsAssociative(OperationHistory<T> history) {
    SplittableRandom random = history.checkRandom();
    List<T> samples = history.samples();
    for (int i = 0; i < SAMPLES; i++) {
      T a = pick(random, samples);
      T b = pick(random, samples);
      T c = pick(random, samples);
      assertThat(a.join(b).join(c)).as("(%s ⊔ %s) ⊔ %s", a, b, c).isEqualTo(a.join(b.join(c)));
    }
  }

  /**
   * {@code a ⊔ a = a}, the empty state is the identity, and a join only grows: {@code (a ⊔ b) ⊔ a =
   * a ⊔ b}.
   */
  public static <T extends Crdt<T>> void joinIsIdempotent(OperationHistory<T> history) {
    SplittableRandom random = history.checkRandom();
    T empty = history.generator().empty();
    assertThat(empty.isEmpty()).as("empty().isEmpty()").isTrue();
    for (T a : history.samples()) {
      assertThat(a.join(a)).as("%s ⊔ itself", a).isEqualTo(a);
      assertThat(a.join(empty)).as("%s ⊔ empty", a).isEqualTo(a);
      assertThat(empty.join(a)).as("empty ⊔ %s", a).isEqualTo(a);
      assertThat(a.isEmpty()).as("isEmpty of %s", a).isEqualTo(a.equals(empty));
      T b = pick(random, history.samples());
      T ab = a.join(b);
      assertThat(ab.join(a)).as("(%s ⊔ %s) ⊔ a", a, b).isEqualTo(ab);
    }
  }

  /**
   * Each operation's delta reproduces it: {@code before ⊔ delta = state}, the delta is included in
   * the state, and joining the delta into any replica that already has {@code before} equals
   * joining the full state.
   */
  public static <T extends Crdt<T>> void deltaMatchesMutation(OperationHistory<T> history) {
    SplittableRandom random = history.checkRandom();
    List<T> samples = history.samples();
    for (OperationHistory.Step<T> step : history.steps()) {
      T before = step.before();
      T state = step.mutation().state();
      T delta = step.mutation().delta();
      assertThat(before.join(delta)).as("before ⊔ delta at %s", step).isEqualTo(state);
      assertThat(state.join(delta)).as("state ⊔ delta at %s", step).isEqualTo(state);
      T other = pick(random, samples).join(before);
      assertThat(other.join(delta))
          .as("%s ⊔ delta vs ⊔ state at %s", other, step)
          .isEqualTo(other.join(state));
    }
  }

  /**
   * Delivering all deltas in a random order, each one to three times, brings every replica and a
   * fresh one to the same state, which is also the join of the final states; the converged states
   * are equal, hash equally and encode to the same bytes.
   */
  public static <T extends Crdt<T>> void deliveriesConverge(OperationHistory<T> history) {
    SplittableRandom random = history.checkRandom();
    T converged = history.converged();
    T finalsJoined = history.generator().empty();
    for (T state : history.finalStates()) {
      finalsJoined = finalsJoined.join(state);
    }
    assertThat(finalsJoined).as("join of final states").isEqualTo(converged);
    byte[] expectedBytes = CrdtCodec.encode(converged);
    List<T> starts = new ArrayList<>(history.finalStates());
    starts.add(history.generator().empty());
    for (T start : starts) {
      T replica = start;
      for (T delta : shuffledWithDuplicates(random, history.deltas())) {
        replica = replica.join(delta);
      }
      assertThat(replica).as("replica starting at %s", start).isEqualTo(converged);
      assertThat(replica.hashCode()).as("hash of %s", replica).isEqualTo(converged.hashCode());
      assertThat(CrdtCodec.encode(replica)).as("bytes of %s", replica).isEqualTo(expectedBytes);
    }
  }

  /**
   * Every state and delta decodes to an equal value, re-encodes to the same bytes, and equal states
   * built in different orders encode identically.
   */
  public static <T extends Crdt<T>> void codecRoundTrips(OperationHistory<T> history) {
    Class<T> type = history.generator().type();
    SplittableRandom random = history.checkRandom();
    List<T> samples = history.samples();
    for (T value : samples) {
      byte[] bytes = CrdtCodec.encode(value);
      T decoded = CrdtCodec.decode(bytes, type);
      assertThat(decoded).as("decoded %s", value).isEqualTo(value);
      assertThat(CrdtCodec.decode(bytes)).as("untyped decode of %s", value).isEqualTo(value);
      assertThat(CrdtCodec.encode(decoded)).as("re-encoded %s", value).isEqualTo(bytes);
    }
    for (int i = 0; i < SAMPLES; i++) {
      T a = pick(random, samples);
      T b = pick(random, samples);
      assertThat(CrdtCodec.encode(a.join(b)))
          .as("bytes of %s ⊔ %s both ways", a, b)
          .isEqualTo(CrdtCodec.encode(b.join(a)));
    }
  }

  private static <T> T pick(SplittableRandom random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  /** Each value one to three times, in random order. */
  public static <T> List<T> shuffledWithDuplicates(SplittableRandom random, List<T> values) {
    List<T> deliveries = new ArrayList<>();
    for (T value : values) {
      int copies = 1 + random.nextInt(3);
      for (int i = 0; i < copies; i++) {
        deliveries.add(value);
      }
    }
    Collections.shuffle(deliveries, new Random(random.nextLong()));
    return deliveries;
  }
}
