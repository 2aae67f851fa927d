package io.meridian.crdt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random, reproducible run of 2–5 replicas of one CRDT: operations at random replicas interleaved
 * with deliveries of earlier deltas (in any order, possibly repeated) and full-state syncs. It
 * records every operation with the state before it, and every state any replica held; {@link
 * CrdtLaws} checks the lattice laws over them.
 *
 * @param <T> the CRDT type
 */
public final class OperationHistory<T extends Crdt<T>> {
  private static final List<String> REPLICA_NAMES =
      List.of("eu-west-1", "us-east-1", "ap-south-1", "a", "b", "Ω-ζ", "r\uD83D\uDE00", "node-07");

  /** One operation: the replica that made it, its state before, and the resulting mutation. */
  public record Step<T extends Crdt<T>>(ReplicaId replica, T before, Mutation<T> mutation) {}

  private final long seed;
  private final OperationGenerator<T> generator;
  private final List<ReplicaId> replicas;
  private final List<T> finalStates;
  private final List<Step<T>> steps;
  private final List<T> states;

  private OperationHistory(
      long seed,
      OperationGenerator<T> generator,
      List<ReplicaId> replicas,
      List<T> finalStates,
      List<Step<T>> steps,
      List<T> states) {
    this.seed = seed;
    this.generator = generator;
    this.replicas = List.copyOf(replicas);
    this.finalStates = List.copyOf(finalStates);
    this.steps = List.copyOf(steps);
    this.states = List.copyOf(states);
  }

  /** Generates the history of {@code seed}: the same seed always gives the same history. */
  public static <T extends Crdt<T>> OperationHistory<T> generate(
      long seed, OperationGenerator<T> generator) {
    SplittableRandom random = new SplittableRandom(seed);
    List<ReplicaId> replicas = pickReplicas(random);
    List<T> current = new ArrayList<>(Collections.nCopies(replicas.size(), generator.empty()));
    List<Step<T>> steps = new ArrayList<>();
    List<T> states = new ArrayList<>(List.of(generator.empty()));
    int length = 5 + random.nextInt(56);
    for (int i = 0; i < length; i++) {
      int target = random.nextInt(replicas.size());
      int kind = random.nextInt(10);
      T next;
      if (kind < 6 || steps.isEmpty()) {
        T before = current.get(target);
        Mutation<T> mutation = generator.apply(random, replicas.get(target), before, states);
        steps.add(new Step<>(replicas.get(target), before, mutation));
        next = mutation.state();
      } else if (kind < 9) {
        T delta = steps.get(random.nextInt(steps.size())).mutation().delta();
        next = current.get(target).join(delta);
      } else {
        next = current.get(target).join(current.get(random.nextInt(replicas.size())));
      }
      current.set(target, next);
      states.add(next);
    }
    return new OperationHistory<>(seed, generator, replicas, current, steps, states);
  }

  private static List<ReplicaId> pickReplicas(SplittableRandom random) {
    List<String> names = new ArrayList<>(REPLICA_NAMES);
    List<ReplicaId> picked = new ArrayList<>();
    int count = 2 + random.nextInt(4);
    for (int i = 0; i < count; i++) {
      picked.add(new ReplicaId(names.remove(random.nextInt(names.size()))));
    }
    return picked;
  }

  public long seed() {
    return seed;
  }

  public OperationGenerator<T> generator() {
    return generator;
  }

  public List<ReplicaId> replicas() {
    return replicas;
  }

  /** Each replica's state at the end, in the order of {@link #replicas()}. */
  public List<T> finalStates() {
    return finalStates;
  }

  public List<Step<T>> steps() {
    return steps;
  }

  /** Every delta, in the order the operations made them. */
  public List<T> deltas() {
    List<T> deltas = new ArrayList<>(steps.size());
    for (Step<T> step : steps) {
      deltas.add(step.mutation().delta());
    }
    return deltas;
  }

  /** Every state some replica held, the empty state first. */
  public List<T> states() {
    return states;
  }

  /** States and deltas together: the values the laws sample from. */
  public List<T> samples() {
    List<T> samples = new ArrayList<>(states);
    samples.addAll(deltas());
    return samples;
  }

  /** The join of every delta: what all replicas converge to once everything is delivered. */
  public T converged() {
    T joined = generator.empty();
    for (Step<T> step : steps) {
      joined = joined.join(step.mutation().delta());
    }
    return joined;
  }

  /** A random source for checks over this history, independent of the one that generated it. */
  public SplittableRandom checkRandom() {
    return new SplittableRandom(seed ^ 0x5DEECE66DL);
  }

  @Override
  public String toString() {
    return "OperationHistory{seed="
        + seed
        + ", replicas="
        + replicas
        + ", steps="
        + steps.size()
        + ", finalStates="
        + finalStates
        + "}";
  }
}
