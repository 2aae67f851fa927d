package io.meridian.benchmarks.http;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.random.RandomGenerator;

/**
 * A weighted choice among {@link Op}s, parsed from {@code counter-incr=3,key-get=1}: each request
 * is op {@code o} with probability {@code weight(o) / totalWeight}.
 *
 * <p>Weights are integers so that a mix reads exactly as written and the draw is a single {@code
 * nextInt}; ops not named have weight 0.
 */
final class OpMix {
  /** Large enough for any sensible ratio, small enough that the sum cannot overflow. */
  static final int WEIGHT_MAX = 1_000_000;

  private final Map<Op, Integer> weights;
  private final Op[] ops;
  private final int[] cumulativeWeights;

  private OpMix(EnumMap<Op, Integer> weights) {
    this.weights = Collections.unmodifiableMap(new EnumMap<>(weights));
    var positive = weights.entrySet().stream().filter(e -> e.getValue() > 0).toList();
    if (positive.isEmpty()) {
      throw new IllegalArgumentException("at least one op needs a positive weight");
    }
    ops = new Op[positive.size()];
    cumulativeWeights = new int[positive.size()];
    int sum = 0;
    for (int i = 0; i < positive.size(); i++) {
      ops[i] = positive.get(i).getKey();
      sum += positive.get(i).getValue();
      cumulativeWeights[i] = sum;
    }
  }

  /**
   * Parses {@code name=weight[,name=weight...]}. Every malformed entry is rejected with a message
   * naming it, because a silently ignored typo would benchmark the wrong thing.
   */
  static OpMix parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty mix; expected e.g. counter-incr=1,key-get=1");
    }
    var weights = new EnumMap<Op, Integer>(Op.class);
    for (String entry : spec.split(",", -1)) {
      String trimmed = entry.trim();
      int eq = trimmed.indexOf('=');
      if (eq <= 0 || eq == trimmed.length() - 1) {
        throw new IllegalArgumentException(
            "mix entry '" + trimmed + "' is not name=weight; known ops: " + Op.cliNames());
      }
      Op op = Op.fromCliName(trimmed.substring(0, eq).trim());
      int weight = parseWeight(op, trimmed.substring(eq + 1).trim());
      if (weights.put(op, weight) != null) {
        throw new IllegalArgumentException("op '" + op.cliName() + "' appears twice in the mix");
      }
    }
    return new OpMix(weights);
  }

  private static int parseWeight(Op op, String text) {
    int weight;
    try {
      weight = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      weight = -1;
    }
    if (weight < 0 || weight > WEIGHT_MAX) {
      throw new IllegalArgumentException(
          "weight of '"
              + op.cliName()
              + "' must be an integer in [0, "
              + WEIGHT_MAX
              + "], got '"
              + text
              + "'");
    }
    return weight;
  }

  /** Draws the next op; linear scan because there are at most five. */
  /** The write that creates the keys the mix reads: the preload op of its first op. */
  Op preloadOp() {
    return ops[0].preloadOp();
  }

  Op next(RandomGenerator random) {
    int draw = random.nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
    for (int i = 0; i < ops.length; i++) {
      if (draw < cumulativeWeights[i]) {
        return ops[i];
      }
    }
    throw new AssertionError("draw " + draw + " beyond total weight");
  }

  /** Weight of every op named in the mix, zero weights included. */
  Map<Op, Integer> weights() {
    return weights;
  }

  boolean includes(Op op) {
    return weights.getOrDefault(op, 0) > 0;
  }

  @Override
  public String toString() {
    var joiner = new StringJoiner(",");
    weights.forEach((op, weight) -> joiner.add(op.cliName() + "=" + weight));
    return joiner.toString();
  }
}
