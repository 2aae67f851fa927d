package io.meridian.replication.strong;

import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import java.util.List;
import java.util.Objects;

/**
 * The sequential specification of one strong key: a register holding a value (or nothing) at a
 * revision. Revisions come from the system, not the model: each change of a key gets a revision
 * above every earlier one of that key; reads and failed preconditions report the current one.
 *
 * <p>The model is non-deterministic where a history leaves things open: after a write whose outcome
 * is unknown the register holds its value at a revision not yet known (only bounded from below); a
 * later read or failed precondition that reports it pins it. A compare-and-set of unknown outcome
 * against an unknown revision may or may not have applied, so it has two successors.
 */
final class RegisterModel {
  private RegisterModel() {}

  /**
   * A register state.
   *
   * @param value the current value, null when the key does not exist
   * @param revision the current revision: exact when {@code > 0}, 0 when the key does not exist, -1
   *     when it exists at a revision not known yet (above {@code floor})
   * @param floor every revision given to this key so far is {@code <= floor}
   */
  record State(String value, long revision, long floor) {
    static final State INITIAL = new State(null, 0, 0);

    boolean exists() {
      return value != null;
    }

    boolean revisionKnown() {
      return revision >= 0;
    }
  }

  /** The states {@code op} may lead to from {@code state}; empty when it cannot happen there. */
  static List<State> step(State state, Op op) {
    if (op.outcome() == Outcome.UNKNOWN) {
      return unknown(state, op);
    }
    if (op.outcome() != Outcome.OK) {
      throw new IllegalArgumentException("failed operations are not part of a history: " + op);
    }
    return switch (op.status()) {
      case 200 -> op.kind() == Kind.READ ? read(state, op) : written(state, op);
      case 404 -> state.exists() ? List.of() : List.of(state);
      case 412 -> preconditionFailed(state, op);
      default -> throw new IllegalArgumentException("unexpected status " + op.status() + ": " + op);
    };
  }

  private static List<State> read(State state, Op op) {
    if (!state.exists() || !state.value().equals(op.value())) {
      return List.of();
    }
    return pinned(state, op.revision());
  }

  /** The state, once a response told its current revision; empty if it cannot be that. */
  private static List<State> pinned(State state, long revision) {
    if (state.revisionKnown()) {
      return state.revision() == revision ? List.of(state) : List.of();
    }
    return revision > state.floor()
        ? List.of(new State(state.value(), revision, revision))
        : List.of();
  }

  private static List<State> written(State state, Op op) {
    long revision = op.revision();
    if (revision <= state.floor()) {
      return List.of();
    }
    return switch (op.kind()) {
      case WRITE -> List.of(new State(op.value(), revision, revision));
      case CREATE ->
          state.exists() ? List.of() : List.of(new State(op.value(), revision, revision));
      case CAS -> {
        if (!state.exists() || revision <= op.expected()) {
          yield List.of();
        }
        List<State> before = pinned(state, op.expected());
        yield before.isEmpty() ? List.of() : List.of(new State(op.value(), revision, revision));
      }
      case DELETE -> state.exists() ? List.of(new State(null, 0, revision)) : List.of();
      case READ -> throw new IllegalStateException();
    };
  }

  private static List<State> preconditionFailed(State state, Op op) {
    long current = op.revision();
    if (op.kind() == Kind.CAS && current == op.expected()) {
      return List.of();
    }
    if (current == 0) {
      return state.exists() ? List.of() : List.of(state);
    }
    if (!state.exists()) {
      return List.of();
    }
    return pinned(state, current);
  }

  private static List<State> unknown(State state, Op op) {
    return switch (op.kind()) {
      case READ -> List.of(state);
      case WRITE -> List.of(new State(op.value(), -1, state.floor()));
      case CREATE ->
          state.exists() ? List.of(state) : List.of(new State(op.value(), -1, state.floor()));
      case DELETE -> state.exists() ? List.of(new State(null, 0, state.floor())) : List.of(state);
      case CAS -> {
        State applied = new State(op.value(), -1, Math.max(state.floor(), op.expected()));
        if (!state.exists()) {
          yield List.of(state);
        }
        if (state.revisionKnown()) {
          yield state.revision() == op.expected() ? List.of(applied) : List.of(state);
        }
        yield op.expected() > state.floor() ? List.of(applied, state) : List.of(state);
      }
    };
  }

  static String describe(State state) {
    Objects.requireNonNull(state);
    if (!state.exists()) {
      return "absent (revisions > " + state.floor() + ")";
    }
    return state.value()
        + "@"
        + (state.revisionKnown() ? Long.toString(state.revision()) : ">" + state.floor());
  }
}
