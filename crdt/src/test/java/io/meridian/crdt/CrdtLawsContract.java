package io.meridian.crdt;

import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The lattice laws as JUnit tests: a {@code XxxLawsTest} implements this interface with its type's
 * generator and regression seeds and inherits one test per law from {@link CrdtLaws}, each run over
 * {@link #seedCount()} generated histories (see {@link Seeds} for replaying one seed).
 *
 * @param <T> the CRDT type under test
 */
public interface CrdtLawsContract<T extends Crdt<T>> {

  /** The operations histories are made of. */
  OperationGenerator<T> generator();

  /** Seeds that once failed; they run first, always. */
  List<Long> regressionSeeds();

  /** How many seeds each law runs by default. */
  default int seedCount() {
    return 300;
  }

  @Test
  default void join_isCommutative() {
    checkLaw("join_isCommutative", CrdtLaws::joinIsCommutative);
  }

  @Test
  default void join_isAssociative() {
    checkLaw("join_isAssociative", CrdtLaws::joinIsAssociative);
  }

  @Test
  default void join_isIdempotent() {
    checkLaw("join_isIdempotent", CrdtLaws::joinIsIdempotent);
  }

  @Test
  default void delta_joinedIntoBefore_equalsState() {
    checkLaw("delta_joinedIntoBefore_equalsState", CrdtLaws::deltaMatchesMutation);
  }

  @Test
  default void deltas_inAnyOrderWithDuplicates_converge() {
    checkLaw("deltas_inAnyOrderWithDuplicates_converge", CrdtLaws::deliveriesConverge);
  }

  @Test
  default void codec_roundTripsEveryState() {
    checkLaw("codec_roundTripsEveryState", CrdtLaws::codecRoundTrips);
  }

  /** Runs {@code law} over the history of every seed. */
  default void checkLaw(String method, Consumer<OperationHistory<T>> law) {
    Seeds.check(
        getClass().getSimpleName() + "#" + method,
        regressionSeeds(),
        seedCount(),
        seed -> law.accept(OperationHistory.generate(seed, generator())));
  }
}
