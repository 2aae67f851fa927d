package io.meridian.replication.strong;

import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a history of strong-key operations for linearizability (Herlihy &amp; Wing) against {@link
 * RegisterModel}, one key at a time (linearizability is compositional, so keys are independent).
 *
 * <p>The search is Wing &amp; Gong's, with Lowe's memoisation as Knossos and Porcupine use it: the
 * history becomes a list of call and return events in time order; the search repeatedly picks an
 * operation whose call comes before every pending return, applies it to the model, and lifts it out
 * of the list; reaching a return whose operation has not been applied means backtracking. A cache
 * of (set of applied operations, model state) pairs already explored keeps it from exploring the
 * same configuration twice. Operations of unknown outcome return at +infinity (they may take effect
 * at any time after their call, or never); failed operations are dropped.
 *
 * <p>The search is done once every operation of definite outcome is placed: the rest may never have
 * happened. Memory is bounded: past {@code maxConfigurations} memoised configurations a key's
 * verdict is {@link Verdict#UNKNOWN}, never an out-of-memory error.
 *
 * <p>References: J. M. Wing, C. Gong, "Testing and Verifying Concurrent Objects" (1993); G. Lowe,
 * "Testing for Linearizability" (2017); Porcupine ({@code anishathalye/porcupine}) and Knossos
 * ({@code jepsen-io/knossos}).
 */
public final class LinearizabilityChecker {
  /** Search steps per key before a key's search gives up as inconclusive. */
  static final long DEFAULT_BUDGET = 20_000_000;

  /**
   * Memoised configurations per key before its search gives up as inconclusive: each holds a bit
   * per operation of the key, so half a million over a key's 2,000 operations take about 180 MB.
   */
  static final int DEFAULT_MAX_CONFIGURATIONS = 500_000;

  private final long budget;
  private final int maxConfigurations;

  public LinearizabilityChecker() {
    this(DEFAULT_BUDGET, DEFAULT_MAX_CONFIGURATIONS);
  }

  public LinearizabilityChecker(long budget, int maxConfigurations) {
    this.budget = budget;
    this.maxConfigurations = maxConfigurations;
  }

  /** The verdict for one key. */
  public record KeyResult(String key, Verdict verdict, int operations, String explanation) {}

  /** Whether a key's history is linearizable. */
  public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    /** The search ran out of budget. */
    UNKNOWN
  }

  /** The verdicts of every key of a history. */
  public record Result(Map<String, KeyResult> keys) {
    public boolean linearizable() {
      return keys.values().stream().allMatch(k -> k.verdict() == Verdict.LINEARIZABLE);
    }

    public List<KeyResult> failures() {
      return keys.values().stream().filter(k -> k.verdict() != Verdict.LINEARIZABLE).toList();
    }

    @Override
    public String toString() {
      StringBuilder text = new StringBuilder();
      keys.values()
          .forEach(
              k ->
                  text.append(k.key())
                      .append(": ")
                      .append(k.verdict())
                      .append(" (")
                      .append(k.operations())
                      .append(" operations)")
                      .append(k.explanation().isEmpty() ? "" : "\n" + k.explanation())
                      .append('\n'));
      return text.toString();
    }
  }

  public Result check(List<Op> history) {
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    for (Op op : history) {
      if (op.outcome() != Outcome.FAIL) {
        byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
      }
    }
    Map<String, KeyResult> results = new LinkedHashMap<>();
    byKey.forEach((key, ops) -> results.put(key, checkKey(key, withoutUnseenWrites(ops))));
    return new Result(results);
  }

  /**
   * One key's operations without the writes of unknown outcome whose value no read returned, when
   * that provably changes no verdict; else all of them.
   *
   * <p>Each pending operation of unknown outcome doubles the configurations the search can reach
   * (it may have taken effect at any point, or never), so a leader whose disk filled, answering
   * twenty writes to one key with 504s, made the search outgrow a test's heap. Most of those writes
   * never took effect, and nothing in the history says they did.
   *
   * <p>Why dropping them keeps the verdict: take a linearization that applies such a write W (a
   * plain write, a create or a compare-and-set of unknown outcome). After W the register holds W's
   * value, which no read returns, at a revision nothing has pinned. Until something replaces that
   * value, no read can come (it would return W's value), nor a 404 or a create (the key exists),
   * nor anything that reports or expects a revision (a 412, a successful compare-and-set, a
   * compare-and-set of unknown outcome taking effect): that would pin W's revision to one that is
   * also the revision of a definite write or of a value read — two changes of one key at the same
   * revision, which the model forbids — provided every such revision is one of those, checked
   * below. So what follows W is a write that replaces the value, and operations of unknown outcome
   * that change nothing there. Leaving W (and those) out gives the same states from that write on,
   * with a floor of revisions no higher, which only allows more: a linearization without W. A
   * definite delete would break this (it needs the key to exist, which W may have been the reason
   * for): with one in the history nothing is dropped.
   */
  static List<Op> withoutUnseenWrites(List<Op> ops) {
    Set<String> valuesRead = new HashSet<>();
    Set<Long> revisionsOfValues = new HashSet<>();
    revisionsOfValues.add(0L); // "absent": pins no value
    for (Op op : ops) {
      if (op.outcome() != Outcome.OK || op.status() != 200) {
        continue;
      }
      switch (op.kind()) {
        case READ -> {
          valuesRead.add(op.value());
          revisionsOfValues.add(op.revision());
        }
        case WRITE, CAS, CREATE -> revisionsOfValues.add(op.revision());
        case DELETE -> {
          return ops;
        }
      }
    }
    for (Op op : ops) {
      boolean failedPrecondition = op.outcome() == Outcome.OK && op.status() == 412;
      if ((failedPrecondition && !revisionsOfValues.contains(op.revision()))
          || (op.kind() == Kind.CAS && !revisionsOfValues.contains(op.expected()))) {
        return ops;
      }
    }
    return ops.stream()
        .filter(
            op ->
                op.outcome() != Outcome.UNKNOWN
                    || op.kind() == Kind.READ
                    || op.kind() == Kind.DELETE
                    || valuesRead.contains(op.value()))
        .toList();
  }

  /** An event of the history list: an operation's call or return. */
  private static final class Entry {
    final Op op;
    final int id;
    final boolean call;
    final long time;
    Entry match;
    Entry prev;
    Entry next;

    Entry(Op op, int id, boolean call, long time) {
      this.op = op;
      this.id = id;
      this.call = call;
      this.time = time;
    }

    /** Takes this call and its return out of the list. */
    void lift() {
      prev.next = next;
      next.prev = prev;
      match.prev.next = match.next;
      if (match.next != null) {
        match.next.prev = match.prev;
      }
    }

    /** Puts them back, exactly where they were. */
    void unlift() {
      match.prev.next = match;
      if (match.next != null) {
        match.next.prev = match;
      }
      prev.next = this;
      next.prev = this;
    }
  }

  /** A choice made: the call applied, the state before it, and the alternatives not yet tried. */
  private record Frame(
      Entry entry,
      RegisterModel.State before,
      RegisterModel.State after,
      Iterator<RegisterModel.State> rest) {

    /** Applies the choice: marks the operation applied and lifts it out of the list. */
    RegisterModel.State apply(BitSet applied) {
      applied.set(entry.id);
      entry.lift();
      return after;
    }

    /** 1 when the operation chosen has a definite outcome, else 0. */
    int definite() {
      return entry.op.outcome() == Outcome.OK ? 1 : 0;
    }
  }

  /** A configuration explored: which operations are applied, and the model state. */
  private record Configuration(BitSet applied, RegisterModel.State state) {}

  private KeyResult checkKey(String key, List<Op> ops) {
    Entry head = buildList(ops);
    BitSet applied = new BitSet(ops.size());
    Set<Configuration> explored = new HashSet<>();
    Deque<Frame> stack = new ArrayDeque<>();
    RegisterModel.State state = RegisterModel.State.INITIAL;
    long definiteLeft = ops.stream().filter(op -> op.outcome() == Outcome.OK).count();
    Entry entry = head.next;
    long steps = 0;
    int deepest = 0;
    List<Op> deepestPrefix = List.of();
    RegisterModel.State deepestState = state;

    while (definiteLeft > 0) {
      if (++steps > budget) {
        return new KeyResult(
            key, Verdict.UNKNOWN, ops.size(), "gave up after " + budget + " steps");
      }
      if (explored.size() > maxConfigurations) {
        return new KeyResult(
            key,
            Verdict.UNKNOWN,
            ops.size(),
            "gave up after " + maxConfigurations + " configurations");
      }
      if (entry.call) {
        Frame chosen =
            choose(entry, state, RegisterModel.step(state, entry.op).iterator(), applied, explored);
        if (chosen != null) {
          stack.push(chosen);
          state = chosen.apply(applied);
          definiteLeft -= chosen.definite();
          if (stack.size() > deepest) {
            deepest = stack.size();
            deepestPrefix = stack.stream().map(f -> f.entry().op).toList();
            deepestState = state;
          }
          entry = head.next;
        } else {
          entry = entry.next;
        }
        continue;
      }
      // A return whose call has not been applied: undo the last choice.
      if (stack.isEmpty()) {
        return new KeyResult(
            key, Verdict.NOT_LINEARIZABLE, ops.size(), explain(deepestPrefix, deepestState, ops));
      }
      Frame frame = stack.pop();
      state = frame.before();
      applied.clear(frame.entry().id);
      frame.entry().unlift();
      definiteLeft += frame.definite();
      Frame retry = choose(frame.entry(), state, frame.rest(), applied, explored);
      if (retry != null) {
        stack.push(retry);
        state = retry.apply(applied);
        definiteLeft -= retry.definite();
        entry = head.next;
      } else {
        entry = frame.entry().next;
      }
    }
    return new KeyResult(key, Verdict.LINEARIZABLE, ops.size(), "");
  }

  /**
   * The first successor of applying {@code entry} in {@code state} whose configuration is new, as a
   * frame that keeps the successors not tried yet; null if there is none.
   */
  private static Frame choose(
      Entry entry,
      RegisterModel.State state,
      Iterator<RegisterModel.State> successors,
      BitSet applied,
      Set<Configuration> explored) {
    while (successors.hasNext()) {
      RegisterModel.State next = successors.next();
      BitSet after = (BitSet) applied.clone();
      after.set(entry.id);
      if (explored.add(new Configuration(after, next))) {
        return new Frame(entry, state, next, successors);
      }
    }
    return null;
  }

  private static Entry buildList(List<Op> ops) {
    List<Entry> events = new ArrayList<>(ops.size() * 2);
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      Entry call = new Entry(op, i, true, op.call());
      long ret = op.outcome() == Outcome.OK ? op.ret() : Long.MAX_VALUE;
      Entry back = new Entry(op, i, false, ret);
      call.match = back;
      back.match = call;
      events.add(call);
      events.add(back);
    }
    // Time order; at equal times calls first, so touching intervals count as concurrent.
    events.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> e.call ? 0 : 1));
    Entry head = new Entry(null, -1, false, Long.MIN_VALUE);
    Entry last = head;
    for (Entry event : events) {
      last.next = event;
      event.prev = last;
      last = event;
    }
    return head;
  }

  private static String explain(List<Op> prefix, RegisterModel.State state, List<Op> ops) {
    StringBuilder text = new StringBuilder();
    text.append("  longest linearizable prefix (")
        .append(prefix.size())
        .append(" of ")
        .append(ops.size())
        .append(" operations) ends in state ")
        .append(RegisterModel.describe(state))
        .append(";\n  its last operations:\n");
    List<Op> reversed = new ArrayList<>(prefix);
    java.util.Collections.reverse(reversed);
    reversed.stream()
        .skip(Math.max(0, reversed.size() - 8))
        .forEach(op -> text.append("    ").append(op).append('\n'));
    Set<Op> done = new HashSet<>(prefix);
    text.append("  none of these could come next:\n");
    ops.stream()
        .filter(op -> !done.contains(op))
        .sorted(Comparator.comparingLong(Op::call))
        .limit(8)
        .forEach(op -> text.append("    ").append(op).append('\n'));
    return text.toString();
  }
}
