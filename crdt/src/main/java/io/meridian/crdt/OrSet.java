package io.meridian.crdt;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * An add-wins observed-remove set of strings, in its optimized form without tombstones.
 *
 * <p>This is the "AWORSet" delta-state CRDT of Almeida, Shoker and Baquero, "Delta State Replicated
 * Data Types" (JPDC 2018), itself the optimized OR-set of Bieniusa et al., "An optimized
 * conflict-free replicated set" (arXiv:1210.3368, 2012). The state is a dot store (each element
 * maps to the {@link Dot}s of the adds that are still live) and a {@link CausalContext} (every dot
 * this state has seen, live or removed). An add mints a fresh dot; a remove deletes the element's
 * dots from the store but leaves them in the context. A dot that is in the context but not in the
 * store was therefore removed, and that is all the memory removes need: no tombstone per removed
 * element.
 *
 * <p>The join keeps, per element, the dots both sides hold, plus the dots one side holds that the
 * other side has not seen; a dot one side holds and the other has seen but dropped was removed. A
 * remove only covers the dots it observed, so an add concurrent with a remove survives: add wins.
 *
 * <p>Invariants: every dot in the store is in the context; no element maps to an empty set of dots;
 * no dot belongs to two elements. Dots are unique only if each {@link ReplicaId} is used by one
 * replica that never loses its state.
 */
public final class OrSet implements Crdt<OrSet> {
  private static final OrSet EMPTY = new OrSet(new TreeMap<>(), CausalContext.empty());

  /** Element to its live dots (immutable sets); never mutated after construction. */
  private final NavigableMap<String, Set<Dot>> store;

  private final CausalContext context;

  private OrSet(NavigableMap<String, Set<Dot>> store, CausalContext context) {
    this.store = store;
    this.context = context;
  }

  /** Returns the set that has seen nothing. */
  public static OrSet empty() {
    return EMPTY;
  }

  /**
   * Builds a set from a decoded dot store and context, checking the invariants.
   *
   * @throws IllegalArgumentException if an invariant does not hold
   */
  static OrSet of(SortedMap<String, Set<Dot>> store, CausalContext context) {
    Set<Dot> seen = new HashSet<>();
    TreeMap<String, Set<Dot>> copy = new TreeMap<>();
    for (Map.Entry<String, Set<Dot>> entry : store.entrySet()) {
      if (entry.getValue().isEmpty()) {
        throw new IllegalArgumentException("element without dots: " + entry.getKey());
      }
      for (Dot dot : entry.getValue()) {
        if (!context.contains(dot) || !seen.add(dot)) {
          throw new IllegalArgumentException("dot " + dot + " outside context or duplicated");
        }
      }
      copy.put(Utf8.requireWellFormed(entry.getKey(), "element"), Set.copyOf(entry.getValue()));
    }
    return copy.isEmpty() && context.isEmpty() ? EMPTY : new OrSet(copy, context);
  }

  /**
   * A set read back by the codec, which already checked the order of elements and dots and the
   * well-formedness of every string: only the invariants that span the whole state are checked
   * here, and nothing is copied (decoding a large set is on every write of it).
   */
  static OrSet decoded(TreeMap<String, Set<Dot>> store, CausalContext context) {
    Set<Dot> seen = new HashSet<>();
    for (Map.Entry<String, Set<Dot>> entry : store.entrySet()) {
      if (entry.getValue().isEmpty()) {
        throw new IllegalArgumentException("element without dots: " + entry.getKey());
      }
      for (Dot dot : entry.getValue()) {
        if (!context.contains(dot) || !seen.add(dot)) {
          throw new IllegalArgumentException("dot " + dot + " outside context or duplicated");
        }
      }
    }
    return store.isEmpty() && context.isEmpty() ? EMPTY : new OrSet(store, context);
  }

  /** Adds {@code element} as {@code replica}; see {@link #addAll}. */
  public Mutation<OrSet> add(ReplicaId replica, String element) {
    return addAll(replica, List.of(Objects.requireNonNull(element, "element")));
  }

  /**
   * Adds every element as {@code replica}, as one delta. Each element gets one fresh dot that
   * replaces the dots it already had here: the delta's context holds the new dot and the replaced
   * ones, so wherever it is joined the old adds go and the new one stays (the paper's add).
   */
  public Mutation<OrSet> addAll(ReplicaId replica, Collection<String> elements) {
    Objects.requireNonNull(replica, "replica");
    TreeSet<String> unique = new TreeSet<>();
    for (String element : elements) {
      unique.add(Utf8.requireWellFormed(Objects.requireNonNull(element, "element"), "element"));
    }
    if (unique.isEmpty()) {
      return unchanged();
    }
    long counter = context.maxCounter(replica);
    TreeMap<String, Set<Dot>> state = new TreeMap<>(store);
    TreeMap<String, Set<Dot>> delta = new TreeMap<>();
    List<Dot> added = new ArrayList<>(unique.size());
    List<Dot> deltaContext = new ArrayList<>(unique.size());
    for (String element : unique) {
      counter = Math.addExact(counter, 1);
      Dot dot = new Dot(replica, counter);
      Set<Dot> only = Set.of(dot);
      Set<Dot> replaced = state.put(element, only);
      if (replaced != null) {
        deltaContext.addAll(replaced);
      }
      delta.put(element, only);
      added.add(dot);
    }
    deltaContext.addAll(added);
    return new Mutation<>(
        new OrSet(state, context.join(CausalContext.of(added))),
        new OrSet(delta, CausalContext.of(deltaContext)));
  }

  /** Removes {@code element}: every dot of it this replica has observed; see {@link #removeAll}. */
  public Mutation<OrSet> remove(String element) {
    return removeAll(List.of(Objects.requireNonNull(element, "element")));
  }

  /**
   * Removes the elements by removing every dot of theirs this replica holds. The delta has an empty
   * store and a context of exactly those dots; an add this replica has not seen survives.
   */
  public Mutation<OrSet> removeAll(Collection<String> elements) {
    return removeDots(elements, dot -> true);
  }

  /**
   * Removes only the dots of the elements that {@code observed} contains: the context a client read
   * earlier, so the remove covers what the client saw and an add it never saw survives.
   *
   * <p>A dot the client observed but this replica has not received yet cannot be traced to its
   * element and is not removed; the element may reappear when that dot arrives. Callers that want
   * to exclude this can check {@code context().dominates(observed)} first.
   */
  public Mutation<OrSet> removeObserved(Collection<String> elements, CausalContext observed) {
    Objects.requireNonNull(observed, "observed");
    return removeDots(elements, observed::contains);
  }

  /** Removes every element: the delta's context holds every live dot (the paper's clear). */
  public Mutation<OrSet> clear() {
    if (store.isEmpty()) {
      return unchanged();
    }
    List<Dot> removed = new ArrayList<>();
    store.values().forEach(removed::addAll);
    return new Mutation<>(
        new OrSet(new TreeMap<>(), context), new OrSet(new TreeMap<>(), CausalContext.of(removed)));
  }

  /** Removes every element dot that {@code observed} contains; see {@link #removeObserved}. */
  public Mutation<OrSet> clearObserved(CausalContext observed) {
    Objects.requireNonNull(observed, "observed");
    return removeDots(store.keySet(), observed::contains);
  }

  private Mutation<OrSet> removeDots(Collection<String> elements, Predicate<Dot> removable) {
    TreeMap<String, Set<Dot>> state = null; // copied on the first change only
    List<Dot> removed = new ArrayList<>();
    for (String element : elements) {
      Set<Dot> dots = store.get(Objects.requireNonNull(element, "element"));
      if (dots == null) {
        continue;
      }
      Set<Dot> kept = without(dots, removable, removed);
      if (kept != dots) {
        state = state == null ? new TreeMap<>(store) : state;
        if (kept.isEmpty()) {
          state.remove(element);
        } else {
          state.put(element, kept);
        }
      }
    }
    if (state == null) {
      return unchanged();
    }
    return new Mutation<>(
        new OrSet(state, context), new OrSet(new TreeMap<>(), CausalContext.of(removed)));
  }

  /** {@code dots} minus the removable ones, which go to {@code removed}; the same set if none. */
  private static Set<Dot> without(Set<Dot> dots, Predicate<Dot> removable, List<Dot> removed) {
    if (!anyMatch(dots, removable)) {
      return dots; // the common case when scanning a large store: no allocation
    }
    List<Dot> kept = new ArrayList<>(dots.size());
    for (Dot dot : dots) {
      if (removable.test(dot)) {
        removed.add(dot);
      } else {
        kept.add(dot);
      }
    }
    return kept.size() == dots.size() ? dots : Set.copyOf(kept);
  }

  private static boolean anyMatch(Set<Dot> dots, Predicate<Dot> predicate) {
    for (Dot dot : dots) {
      if (predicate.test(dot)) {
        return true;
      }
    }
    return false;
  }

  private Mutation<OrSet> unchanged() {
    return new Mutation<>(this, EMPTY);
  }

  /** The elements present, sorted; an unmodifiable view. */
  public SortedSet<String> elements() {
    return Collections.unmodifiableSortedSet(store.navigableKeySet());
  }

  public boolean contains(String element) {
    return store.containsKey(element);
  }

  /** The number of elements present. */
  public int size() {
    return store.size();
  }

  /** Every dot this state has seen; the token a client sends back with a remove. */
  public CausalContext context() {
    return context;
  }

  /** The dot store: each present element and the dots of its live adds; unmodifiable. */
  public SortedMap<String, Set<Dot>> dotStore() {
    return Collections.unmodifiableSortedMap(store);
  }

  /** Whether this set has seen nothing (not merely has no elements). */
  @Override
  public boolean isEmpty() {
    return store.isEmpty() && context.isEmpty();
  }

  /**
   * The join of the paper. The smaller dot store is merged into the larger one: elements only the
   * smaller side holds are merged one by one, elements only the larger side holds just lose the
   * dots the smaller side removed. Changes are collected first, so when nothing changes (a
   * re-delivered delta) the larger input is returned as is, and otherwise its map is copied once
   * while unchanged per-element dot sets are shared, never copied. Nothing is encoded or decoded.
   * The pass over the larger store is linear (a few context lookups per element): JDK collections
   * offer no persistent map whose structure a new state could share.
   */
  @Override
  public OrSet join(OrSet other) {
    if (other == this || other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    return store.size() >= other.store.size() ? absorb(other) : other.absorb(this);
  }

  private OrSet absorb(OrSet small) {
    Map<String, Set<Dot>> changes = new HashMap<>();
    for (Map.Entry<String, Set<Dot>> entry : small.store.entrySet()) {
      Set<Dot> mine = store.getOrDefault(entry.getKey(), Set.of());
      Set<Dot> merged = mergeDots(mine, context, entry.getValue(), small.context);
      if (merged != mine) {
        changes.put(entry.getKey(), merged);
      }
    }
    if (!small.context.isEmpty()) {
      Predicate<Dot> removedBySmall = small.context::contains;
      List<Dot> dropped = new ArrayList<>();
      for (Map.Entry<String, Set<Dot>> entry : store.entrySet()) {
        if (!small.store.containsKey(entry.getKey())) {
          Set<Dot> kept = without(entry.getValue(), removedBySmall, dropped);
          if (kept != entry.getValue()) {
            changes.put(entry.getKey(), kept);
          }
        }
      }
    }
    CausalContext joined = context.join(small.context);
    if (changes.isEmpty() && joined == context) {
      return this;
    }
    TreeMap<String, Set<Dot>> state = new TreeMap<>(store);
    changes.forEach(
        (element, dots) -> {
          if (dots.isEmpty()) {
            state.remove(element);
          } else {
            state.put(element, dots);
          }
        });
    return new OrSet(state, joined);
  }

  /**
   * One element's dots after the join: a dot of {@code mine} stays if {@code theirs} holds it too
   * or their context never saw it; a dot of {@code theirs} joins if my context never saw it.
   * Returns {@code mine} itself when nothing changes.
   */
  private static Set<Dot> mergeDots(
      Set<Dot> mine, CausalContext myContext, Set<Dot> theirs, CausalContext theirContext) {
    List<Dot> merged = new ArrayList<>(mine.size() + theirs.size());
    boolean changed = false;
    for (Dot dot : mine) {
      if (theirs.contains(dot) || !theirContext.contains(dot)) {
        merged.add(dot);
      } else {
        changed = true;
      }
    }
    for (Dot dot : theirs) {
      if (!myContext.contains(dot)) {
        merged.add(dot);
        changed = true;
      }
    }
    return changed ? Set.copyOf(merged) : mine;
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof OrSet other && context.equals(other.context) && store.equals(other.store));
  }

  @Override
  public int hashCode() {
    return 31 * store.hashCode() + context.hashCode();
  }

  @Override
  public String toString() {
    return "OrSet{elements=" + store + ", context=" + context + "}";
  }
}
