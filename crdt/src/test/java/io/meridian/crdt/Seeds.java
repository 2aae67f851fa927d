package io.meridian.crdt;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Runs a seeded check over many seeds and makes every failure replayable.
 *
 * <p>By default a check runs its regression seeds (seeds that once failed; they stay forever), then
 * seeds 1..count, so CI is deterministic. {@code -Dcrdt.seed=N} runs only seed N, {@code
 * -Dcrdt.seedCount=N} runs more (or fewer) seeds. A failure names its seed and the command that
 * replays it.
 */
public final class Seeds {
  /** Runs just this seed: {@code mvn -pl crdt test -Dtest=OrSetLawsTest -Dcrdt.seed=42}. */
  public static final String SEED_PROPERTY = "crdt.seed";

  /** How many seeds to run after the regression seeds. */
  public static final String COUNT_PROPERTY = "crdt.seedCount";

  private Seeds() {}

  /**
   * Runs {@code check} for each seed; rethrows a failure with its seed and a replay command.
   *
   * @param testName the test to replay, as surefire's {@code -Dtest} takes it: {@code Class#method}
   */
  public static void check(
      String testName, List<Long> regressionSeeds, int defaultCount, LongConsumer check) {
    for (long seed : seeds(regressionSeeds, defaultCount)) {
      try {
        check.accept(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            "seed="
                + seed
                + " failed; replay in this module with: mvn test -Dtest="
                + testName
                + " -D"
                + SEED_PROPERTY
                + "="
                + seed
                + "\n"
                + e.getMessage(),
            e);
      }
    }
  }

  /** The seeds a check runs, honouring the system properties. */
  public static List<Long> seeds(List<Long> regressionSeeds, int defaultCount) {
    String only = property(SEED_PROPERTY);
    if (only != null) {
      return List.of(Long.parseLong(only));
    }
    String countProperty = property(COUNT_PROPERTY);
    int count = countProperty == null ? defaultCount : Integer.parseInt(countProperty);
    List<Long> seeds = new ArrayList<>(regressionSeeds);
    for (long seed = 1; seed <= count; seed++) {
      seeds.add(seed);
    }
    return seeds;
  }

  /** A property's value, or null when unset or an unresolved Maven placeholder. */
  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank() || value.startsWith("${")) {
      return null;
    }
    return value.trim();
  }
}
