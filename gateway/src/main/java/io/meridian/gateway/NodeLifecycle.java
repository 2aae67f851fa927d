package io.meridian.gateway;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The lifecycle of a node process, with checked transitions (after Ratis' {@code LifeCycle}):
 * {@code STARTING → SERVING → DRAINING → STOPPED}; a node may also go from STARTING straight to
 * DRAINING when start-up fails. {@code /health} answers 200 only while SERVING.
 */
final class NodeLifecycle {

  enum State {
    STARTING,
    SERVING,
    DRAINING,
    STOPPED;

    boolean canMoveTo(State next) {
      return switch (this) {
        case STARTING -> next == SERVING || next == DRAINING;
        case SERVING -> next == DRAINING;
        case DRAINING -> next == STOPPED;
        case STOPPED -> false;
      };
    }
  }

  private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);

  State current() {
    return state.get();
  }

  /** Moves to {@code next}; fails fast on a transition the lifecycle does not allow. */
  void transition(State next) {
    State previous = state.getAndUpdate(current -> current.canMoveTo(next) ? next : current);
    if (!previous.canMoveTo(next)) {
      throw new IllegalStateException("cannot go from " + previous + " to " + next);
    }
  }

  /** Moves to DRAINING unless already draining or stopped; returns whether this call did it. */
  boolean beginDraining() {
    State previous =
        state.getAndUpdate(current -> current.canMoveTo(State.DRAINING) ? State.DRAINING : current);
    return previous.canMoveTo(State.DRAINING);
  }
}
